from builtins import range
from builtins import object
import numpy as np

from ..layers import *
from ..layer_utils import *


class TwoLayerNet(object):
    """
    A two-layer fully-connected neural network with ReLU nonlinearity and
    softmax loss that uses a modular layer design. We assume an input dimension
    of D, a hidden dimension of H, and perform classification over C classes.

    The architecure should be affine - relu - affine - softmax.
    """

    def __init__(self, input_dim=3*32*32, hidden_dim=100, num_classes=10,
                 weight_scale=1e-3, reg=0.0):
        self.params = {}
        self.reg = reg
        self.params['W1'] = np.random.normal(0.0, weight_scale, (input_dim, hidden_dim))
        self.params['b1'] = np.zeros((hidden_dim,))
        self.params['W2'] = np.random.normal(0.0, weight_scale, (hidden_dim, num_classes))
        self.params['b2'] = np.zeros((num_classes,))

    def loss(self, X, y=None):
        hidden, hidden_cache = affine_relu_forward(X, self.params['W1'], self.params['b1'])
        scores, scores_cache = affine_forward(hidden, self.params['W2'], self.params['b2'])
        if y is None:
            return scores
        grads = {}
        loss, dscores = softmax_loss(scores, y)
        loss += 0.5 * self.reg * (np.sum(self.params['W1'] ** 2) + np.sum(self.params['W2'] ** 2))
        dhidden, grads['W2'], grads['b2'] = affine_backward(dscores, scores_cache)
        _, grads['W1'], grads['b1'] = affine_relu_backward(dhidden, hidden_cache)
        grads['W1'] += self.reg * self.params['W1']
        grads['W2'] += self.reg * self.params['W2']
        return loss, grads


class FullyConnectedNet(object):
    """
    A fully-connected neural network with an arbitrary number of hidden layers,
    ReLU nonlinearities, and a softmax loss function. This will also implement
    dropout and batch/layer normalization as options. For a network with L layers,
    the architecture will be

    {affine - [batch/layer norm] - relu - [dropout]} x (L - 1) - affine - softmax

    where batch/layer normalization and dropout are optional, and the {...} block is
    repeated L - 1 times.

    Similar to the TwoLayerNet above, learnable parameters are stored in the
    self.params dictionary and will be learned using the Solver class.
    """

    def __init__(self, hidden_dims, input_dim=3*32*32, num_classes=10,
                 dropout=1, normalization=None, reg=0.0,
                 weight_scale=1e-2, dtype=np.float32, seed=None):
        """
        Initialize a new FullyConnectedNet.

        Inputs:
        - hidden_dims: A list of integers giving the size of each hidden layer.
        - input_dim: An integer giving the size of the input.
        - num_classes: An integer giving the number of classes to classify.
        - dropout: Scalar between 0 and 1 giving dropout strength. If dropout=1 then
          the network should not use dropout at all.
        - normalization: What type of normalization the network should use. Valid values
          are "batchnorm", "layernorm", or None for no normalization (the default).
        - reg: Scalar giving L2 regularization strength.
        - weight_scale: Scalar giving the standard deviation for random
          initialization of the weights.
        - dtype: A numpy datatype object; all computations will be performed using
          this datatype. float32 is faster but less accurate, so you should use
          float64 for numeric gradient checking.
        - seed: If not None, then pass this random seed to the dropout layers. This
          will make the dropout layers deteriminstic so we can gradient check the
          model.
        """
        self.normalization = normalization
        self.use_dropout = dropout != 1
        self.reg = reg
        self.num_layers = 1 + len(hidden_dims)
        self.dtype = dtype
        self.params = {}

        ############################################################################
        # TODO: Initialize the parameters of the network, storing all values in    #
        # the self.params dictionary.                                              #
        ############################################################################
        dims = np.hstack([input_dim, hidden_dims, num_classes]).astype(int)
        for i in range(self.num_layers):
            self.params['W%d' % (i + 1)] = np.random.randn(dims[i], dims[i + 1]) * weight_scale
            self.params['b%d' % (i + 1)] = np.zeros(dims[i + 1])
        if self.normalization in ('batchnorm', 'layernorm'):
            for i in range(self.num_layers - 1):
                self.params['gamma%d' % (i + 1)] = np.ones(dims[i + 1])
                self.params['beta%d' % (i + 1)] = np.zeros(dims[i + 1])
        ############################################################################
        #                             END OF YOUR CODE                             #
        ############################################################################

        self.dropout_param = {}
        if self.use_dropout:
            self.dropout_param = {'mode': 'train', 'p': dropout}
            if seed is not None:
                self.dropout_param['seed'] = seed

        self.bn_params = []
        if self.normalization=='batchnorm':
            self.bn_params = [{'mode': 'train'} for i in range(self.num_layers - 1)]
        if self.normalization=='layernorm':
            self.bn_params = [{} for i in range(self.num_layers - 1)]

        # Cast all parameters to the correct datatype
        for k, v in self.params.items():
            self.params[k] = v.astype(dtype)


    def loss(self, X, y=None):
        """
        Compute loss and gradient for the fully-connected net.

        Input / output: Same as TwoLayerNet above.
        """
        X = X.astype(self.dtype)
        mode = 'test' if y is None else 'train'

        # Set train/test mode for batchnorm params and dropout param since they
        # behave differently during training and testing.
        if self.use_dropout:
            self.dropout_param['mode'] = mode
        if self.normalization=='batchnorm':
            for bn_param in self.bn_params:
                bn_param['mode'] = mode
        scores = None
        ############################################################################
        # TODO: Implement the forward pass for the fully-connected net.            #
        ############################################################################
        caches = []
        h = X
        for i in range(self.num_layers - 1):
            w, b = self.params['W%d' % (i + 1)], self.params['b%d' % (i + 1)]
            if self.normalization == 'batchnorm':
                h, c = affine_bn_relu_forward(h, w, b, self.params['gamma%d' % (i + 1)],
                                              self.params['beta%d' % (i + 1)], self.bn_params[i])
            elif self.normalization == 'layernorm':
                h, c = affine_ln_relu_forward(h, w, b, self.params['gamma%d' % (i + 1)],
                                              self.params['beta%d' % (i + 1)], self.bn_params[i])
            else:
                h, c = affine_relu_forward(h, w, b)
            d = None
            if self.use_dropout:
                h, d = dropout_forward(h, self.dropout_param)
            caches.append((c, d))
        scores, out_cache = affine_forward(h, self.params['W%d' % self.num_layers],
                                           self.params['b%d' % self.num_layers])
        ############################################################################
        #                             END OF YOUR CODE                             #
        ############################################################################

        # If test mode return early
        if mode == 'test':
            return scores

        loss, grads = 0.0, {}
        ############################################################################
        # TODO: Implement the backward pass for the fully-connected net.           #
        ############################################################################
        loss, dscores = softmax_loss(scores, y)
        weights = [self.params['W%d' % (i + 1)] for i in range(self.num_layers)]
        loss += 0.5 * self.reg * sum(np.sum(w * w) for w in weights)

        n = self.num_layers
        dh, dw, db = affine_backward(dscores, out_cache)
        grads['W%d' % n], grads['b%d' % n] = dw + self.reg * weights[n - 1], db
        for i in range(self.num_layers - 2, -1, -1):
            c, d = caches[i]
            if self.use_dropout:
                dh = dropout_backward(dh, d)
            if self.normalization == 'batchnorm':
                dh, dw, db, dgamma, dbeta = affine_bn_relu_backward(dh, c)
            elif self.normalization == 'layernorm':
                dh, dw, db, dgamma, dbeta = affine_ln_relu_backward(dh, c)
            else:
                dh, dw, db = affine_relu_backward(dh, c)
            grads['W%d' % (i + 1)] = dw + self.reg * weights[i]
            grads['b%d' % (i + 1)] = db
            if self.normalization in ('batchnorm', 'layernorm'):
                grads['gamma%d' % (i + 1)] = dgamma
                grads['beta%d' % (i + 1)] = dbeta
        ############################################################################
        #                             END OF YOUR CODE                             #
        ############################################################################

        return loss, grads
