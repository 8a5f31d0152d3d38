from builtins import range
from builtins import object
import numpy as np

from ..layers import *
from ..layer_utils import *


class FullyConnectedNet(object):
    """
    A fully-connected neural network with an arbitrary number of hidden layers,
    ReLU nonlinearities, and a softmax loss function. This will also implement
    dropout and batch/layer normalization as options. For a network with L layers,
    the architecture will be

    {affine - [batch/layer norm] - relu - [dropout]} x (L - 1) - affine - softmax

    where batch/layer normalization and dropout are optional, and the {...} block is
    repeated L - 1 times.
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
          this datatype.
        - seed: If not None, then pass this random seed to the dropout layers.
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
        # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****

        sizes = [input_dim, *hidden_dims, num_classes]
        for layer, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
            self.params[f"W{layer}"] = np.random.normal(scale=weight_scale, size=(n_in, n_out))
            self.params[f"b{layer}"] = np.zeros(n_out)
            if self.normalization and layer < self.num_layers:
                self.params[f"gamma{layer}"] = np.ones(n_out)
                self.params[f"beta{layer}"] = np.zeros(n_out)

        # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
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
        """
        X = X.astype(self.dtype)
        mode = 'test' if y is None else 'train'

        if self.use_dropout:
            self.dropout_param['mode'] = mode
        if self.normalization=='batchnorm':
            for bn_param in self.bn_params:
                bn_param['mode'] = mode
        scores = None
        ############################################################################
        # TODO: Implement the forward pass for the fully-connected net.            #
        ############################################################################
        # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****

        cache = {}
        out = X
        for layer in range(1, self.num_layers):
            W, b = self.params[f"W{layer}"], self.params[f"b{layer}"]
            out, cache[f"affine{layer}"] = affine_forward(out, W, b)
            if self.normalization == "batchnorm":
                out, cache[f"norm{layer}"] = batchnorm_forward(
                    out, self.params[f"gamma{layer}"], self.params[f"beta{layer}"],
                    self.bn_params[layer - 1])
            elif self.normalization == "layernorm":
                out, cache[f"norm{layer}"] = layernorm_forward(
                    out, self.params[f"gamma{layer}"], self.params[f"beta{layer}"],
                    self.bn_params[layer - 1])
            out, cache[f"relu{layer}"] = relu_forward(out)
            if self.use_dropout:
                out, cache[f"dropout{layer}"] = dropout_forward(out, self.dropout_param)
        last = self.num_layers
        scores, cache[f"affine{last}"] = affine_forward(out, self.params[f"W{last}"],
                                                        self.params[f"b{last}"])

        # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
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
        # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****

        loss, dout = softmax_loss(scores, y)
        for layer in range(last, 0, -1):
            W = self.params[f"W{layer}"]
            loss += 0.5 * self.reg * np.sum(W ** 2)
            if layer < last:
                if self.use_dropout:
                    dout = dropout_backward(dout, cache[f"dropout{layer}"])
                dout = relu_backward(dout, cache[f"relu{layer}"])
                if self.normalization == "batchnorm":
                    dout, grads[f"gamma{layer}"], grads[f"beta{layer}"] = \
                        batchnorm_backward_alt(dout, cache[f"norm{layer}"])
                elif self.normalization == "layernorm":
                    dout, grads[f"gamma{layer}"], grads[f"beta{layer}"] = \
                        layernorm_backward(dout, cache[f"norm{layer}"])
            dout, dW, grads[f"b{layer}"] = affine_backward(dout, cache[f"affine{layer}"])
            grads[f"W{layer}"] = dW + self.reg * W

        # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
        ############################################################################
        #                             END OF YOUR CODE                             #
        ############################################################################

        return loss, grads
