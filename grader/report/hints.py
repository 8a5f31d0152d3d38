"""The knowledge point shown under a failed hidden test, by the key the test names.

The tests name a key (`TestResult.hint`); only the report writes the words."""

HINTS = {
    'dropout_backward':
        'store the mask used in the forward pass in the cache and return dx = dout * mask / p (or keep mask / p in the cache and return dout * mask).',
    'dropout_keep':
        'p is the probability of KEEPING a unit: mask = np.random.rand(*x.shape) < p, and the kept units are divided by p (inverted dropout).',
    'dropout_scale':
        'inverted dropout: out = x * mask / p at train time, so kept units are x / p and dropped ones 0.',
    'dropout_seed':
        "when dropout_param has a 'seed', call np.random.seed(seed) before drawing the mask (the given code does it: keep it, and draw with np.random).",
    'dropout_test_mode':
        'at test time dropout does nothing: out = x (no mask, no scaling).',
    'affine_back':
        'dx = dout @ w.T reshaped back to x.shape; dw = x_rows.T @ dout with x reshaped to (N, D); db = dout.sum(axis=0).',
    'affine':
        'reshape x to (N, D) with x.reshape(x.shape[0], -1) (never a fixed shape), then out = x @ w + b.',
    'relu_back':
        'dx = dout * (x > 0), with x the input saved in the cache.',
    'relu':
        'out = np.maximum(0, x); the output keeps the shape of x.',
    'softmax':
        "subtract each row's maximum before np.exp (large logits overflow), average the loss over N, and dx = (probabilities - one_hot(y)) / N.",
    'net_bn_net':
        'pass self.bn_params[i] to the i-th batch norm layer so its running averages are kept; loss(X) without y runs in test mode and returns the scores.',
    'net_dropout_net':
        'apply dropout after each hidden ReLU with self.dropout_param (which carries the seed), and route the gradient back through dropout_backward.',
    'net_init':
        'W<i> ~ weight_scale * np.random.randn(fan_in, fan_out), b<i> zeros, and for batch/layer norm gamma<i> ones and beta<i> zeros for every hidden layer (not the last).',
    'net_loss':
        'the architecture is {affine - [batch/layer norm] - relu - [dropout]} x (L - 1) - affine - softmax; the loss adds 0.5 * reg * sum(W * W) for every W (not gamma/beta), and grads[W<i>] gets + reg * W<i>.',
    'bn_backward':
        'walk the graph backwards: dbeta = sum(dout), dgamma = sum(dout * x_hat) over axis 0; dx has three paths (through x_hat directly, through the variance, through the mean); did you use the biased (1/N) variance and eps inside the square root?',
    'bn_forward':
        "train mode normalizes with the batch mean and the biased (1/N) variance (np.var's default, not ddof=1): x_hat = (x - mu) / np.sqrt(var + eps), with eps inside the square root; out = gamma * x_hat + beta; then running = momentum * running + (1 - momentum) * batch statistic, written back into bn_param.",
    'bn_test':
        "test mode normalizes with bn_param's running_mean and running_var (not the batch statistics), and any mode other than 'train' or 'test' raises ValueError.",
    'groupnorm':
        'reshape x to (N, G, C // G, H, W), normalize over the last three axes (biased variance, eps inside the square root), reshape back, then gamma * x_hat + beta with gamma and beta of shape (1, C, 1, 1); dgamma and dbeta keep that shape.',
    'ln_backward':
        'the batch norm closed form with the statistics taken along axis 1; dgamma and dbeta still sum over axis 0.',
    'ln_forward':
        'layer norm takes the mean and the biased variance of each row (axis=1, keepdims=True), with eps (from ln_param, default 1e-5) inside the square root; gamma and beta still scale the columns.',
    'spatial':
        'move the channel axis last (np.moveaxis(x, 1, -1)), reshape to (-1, C), call batchnorm and undo both: this works for (N, C, L), (N, C, H, W) and (N, C, D, H, W) alike, where a fixed transpose(0, 2, 3, 1) only works for 4-D input.',
    'sgd_momentum':
        "v = momentum * v - learning_rate * dw; next_w = w + v; store v in config['velocity'] so the next step continues from it.",
    'rmsprop':
        "cache = decay_rate * cache + (1 - decay_rate) * dw**2; next_w = w - learning_rate * dw / (np.sqrt(cache) + epsilon); store cache in config['cache'].",
    'adam':
        'increment t first; m = beta1*m + (1-beta1)*dw, v = beta2*v + (1-beta2)*dw**2; bias-correct with 1 - beta**t; next_w = w - learning_rate * m_hat / (np.sqrt(v_hat) + epsilon); store m, v and t in config.',
}
