from builtins import range
from builtins import object
import numpy as np

from cs231n.layers import *
from cs231n.layer_utils import *


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
    ############################################################################
    # TODO: Initialize the weights and biases of the two-layer net.            #
    ############################################################################
    self.params['W1'] = weight_scale * np.random.randn(input_dim, hidden_dim)
    self.params['b1'] = np.zeros(hidden_dim)
    self.params['W2'] = weight_scale * np.random.randn(hidden_dim, num_classes)
    self.params['b2'] = np.zeros(num_classes)
    ############################################################################
    #                             END OF YOUR CODE                             #
    ############################################################################

  def loss(self, X, y=None):
    scores = None
    h, cache_h = affine_relu_forward(X, self.params['W1'], self.params['b1'])
    scores, cache_s = affine_forward(h, self.params['W2'], self.params['b2'])
    if y is None:
      return scores

    loss, grads = 0, {}
    loss, dscores = softmax_loss(scores, y)
    loss += 0.5 * self.reg * (np.sum(self.params['W1'] ** 2) + np.sum(self.params['W2'] ** 2))
    dh, grads['W2'], grads['b2'] = affine_backward(dscores, cache_s)
    _, grads['W1'], grads['b1'] = affine_relu_backward(dh, cache_h)
    grads['W1'] += self.reg * self.params['W1']
    grads['W2'] += self.reg * self.params['W2']
    return loss, grads


class FullyConnectedNet(object):
  """
  A fully-connected neural network with an arbitrary number of hidden layers,
  ReLU nonlinearities, and a softmax loss function. This will also implement
  dropout and batch normalization as options. For a network with L layers,
  the architecture will be

  {affine - [batch norm] - relu - [dropout]} x (L - 1) - affine - softmax

  where batch normalization and dropout are optional, and the {...} block is
  repeated L - 1 times.

  Similar to the TwoLayerNet above, learnable parameters are stored in the
  self.params dictionary and will be learned using the Solver class.
  """

  def __init__(self, hidden_dims, input_dim=3*32*32, num_classes=10,
               dropout=0, use_batchnorm=False, reg=0.0,
               weight_scale=1e-2, dtype=np.float32, seed=None):
    """
    Initialize a new FullyConnectedNet.

    Inputs:
    - hidden_dims: A list of integers giving the size of each hidden layer.
    - input_dim: An integer giving the size of the input.
    - num_classes: An integer giving the number of classes to classify.
    - dropout: Scalar between 0 and 1 giving dropout strength. If dropout=0 then
      the network should not use dropout at all.
    - use_batchnorm: Whether or not the network should use batch normalization.
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
    self.use_batchnorm = use_batchnorm
    self.use_dropout = dropout > 0
    self.reg = reg
    self.num_layers = 1 + len(hidden_dims)
    self.dtype = dtype
    self.params = {}

    ############################################################################
    # TODO: Initialize the parameters of the network, storing all values in    #
    # the self.params dictionary.                                              #
    ############################################################################
    layer_dims = [input_dim] + list(hidden_dims) + [num_classes]
    for l in range(self.num_layers):
      fan_in, fan_out = layer_dims[l], layer_dims[l + 1]
      self.params['W%d' % (l + 1)] = np.random.normal(0, weight_scale, (fan_in, fan_out))
      self.params['b%d' % (l + 1)] = np.zeros(fan_out)
      if self.use_batchnorm and l < self.num_layers - 1:
        self.params['gamma%d' % (l + 1)] = np.ones(fan_out)
        self.params['beta%d' % (l + 1)] = np.zeros(fan_out)
    ############################################################################
    #                             END OF YOUR CODE                             #
    ############################################################################

    # When using dropout we need to pass a dropout_param dictionary to each
    # dropout layer so that the layer knows the dropout probability and the mode
    # (train / test). You can pass the same dropout_param to each dropout layer.
    self.dropout_param = {}
    if self.use_dropout:
      self.dropout_param = {'mode': 'train', 'p': dropout}
      if seed is not None:
        self.dropout_param['seed'] = seed

    # With batch normalization we need to keep track of running means and
    # variances, so we need to pass a special bn_param object to each batch
    # normalization layer. You should pass self.bn_params[0] to the forward pass
    # of the first batch normalization layer, self.bn_params[1] to the forward
    # pass of the second batch normalization layer, etc.
    self.bn_params = []
    if self.use_batchnorm:
      self.bn_params = [{'mode': 'train'} for i in range(self.num_layers - 1)]

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
    if self.use_batchnorm:
      for bn_param in self.bn_params:
        bn_param['mode'] = mode

    scores = None
    ############################################################################
    # TODO: Implement the forward pass for the fully-connected net, computing  #
    # the class scores for X and storing them in the scores variable.          #
    ############################################################################
    caches = {}
    dropout_caches = {}
    h = X
    for l in range(1, self.num_layers):
      W, b = self.params['W%d' % l], self.params['b%d' % l]
      if self.use_batchnorm:
        h, caches[l] = affine_bn_relu_forward(h, W, b, self.params['gamma%d' % l],
                                              self.params['beta%d' % l], self.bn_params[l - 1])
      else:
        h, caches[l] = affine_relu_forward(h, W, b)
      if self.use_dropout:
        h, dropout_caches[l] = dropout_forward(h, self.dropout_param)
    L = self.num_layers
    scores, caches[L] = affine_forward(h, self.params['W%d' % L], self.params['b%d' % L])
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
    loss, dout = softmax_loss(scores, y)
    for l in range(1, L + 1):
      W = self.params['W%d' % l]
      loss += 0.5 * self.reg * np.sum(W * W)

    dout, dW, db = affine_backward(dout, caches[L])
    grads['W%d' % L] = dW + self.reg * self.params['W%d' % L]
    grads['b%d' % L] = db
    for l in range(L - 1, 0, -1):
      if self.use_dropout:
        dout = dropout_backward(dout, dropout_caches[l])
      if self.use_batchnorm:
        dout, dW, db, dgamma, dbeta = affine_bn_relu_backward(dout, caches[l])
        grads['gamma%d' % l] = dgamma
        grads['beta%d' % l] = dbeta
      else:
        dout, dW, db = affine_relu_backward(dout, caches[l])
      grads['W%d' % l] = dW + self.reg * self.params['W%d' % l]
      grads['b%d' % l] = db
    ############################################################################
    #                             END OF YOUR CODE                             #
    ############################################################################

    return loss, grads
