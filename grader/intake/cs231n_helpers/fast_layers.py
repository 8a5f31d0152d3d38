"""Convolution and max pooling under the CS231n names (`cs231n.fast_layers`), in plain NumPy.

Given to every submission by the grader so that a layer_utils.py written for the Stanford
starters (`from .fast_layers import *`, conv_relu_forward, ...) loads and runs unchanged. The
starter's Cython extension is not needed: everything goes through cs231n.im2col. Not graded.

conv_param: {'stride', 'pad'}; pool_param: {'pool_height', 'pool_width', 'stride'}.
Each forward returns (out, cache); its backward takes (dout, cache).
"""
import numpy as np

from .im2col import col2im_indices, im2col_indices


def conv_forward_im2col(x, w, b, conv_param):
    """x (N, C, H, W), w (F, C, HH, WW), b (F,) -> out (N, F, H', W')."""
    N, C, H, W = x.shape
    num_filters, _, filter_height, filter_width = w.shape
    stride, pad = conv_param["stride"], conv_param["pad"]
    if (W + 2 * pad - filter_width) % stride or (H + 2 * pad - filter_height) % stride:
        raise ValueError("width or height does not work with this stride and padding")
    out_height = (H + 2 * pad - filter_height) // stride + 1
    out_width = (W + 2 * pad - filter_width) // stride + 1

    columns = im2col_indices(x, filter_height, filter_width, pad, stride)
    products = w.reshape(num_filters, -1) @ columns + b.reshape(-1, 1)   # (F, H'*W'*N)
    out = products.reshape(num_filters, out_height, out_width, N).transpose(3, 0, 1, 2)
    cache = (x, w, b, conv_param, columns)
    return np.ascontiguousarray(out), cache


def conv_backward_im2col(dout, cache):
    """dout (N, F, H', W') -> dx, dw, db."""
    x, w, b, conv_param, columns = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    num_filters, _, filter_height, filter_width = w.shape

    db = dout.sum(axis=(0, 2, 3))
    dout_rows = dout.transpose(1, 2, 3, 0).reshape(num_filters, -1)
    dw = (dout_rows @ columns.T).reshape(w.shape)
    dcolumns = w.reshape(num_filters, -1).T @ dout_rows
    dx = col2im_indices(dcolumns, x.shape, filter_height, filter_width, pad, stride)
    return dx, dw, db


# The starter's "strides" versions used numpy stride tricks; the same results come from im2col.
conv_forward_strides = conv_forward_im2col
conv_backward_strides = conv_backward_im2col
conv_forward_fast = conv_forward_im2col
conv_backward_fast = conv_backward_im2col


def max_pool_forward_im2col(x, pool_param):
    """x (N, C, H, W) -> out (N, C, H', W'), any pool size and stride that tile the input."""
    N, C, H, W = x.shape
    pool_height, pool_width = pool_param["pool_height"], pool_param["pool_width"]
    stride = pool_param["stride"]
    if (H - pool_height) % stride or (W - pool_width) % stride:
        raise ValueError("invalid height or width for this pool size and stride")
    out_height = (H - pool_height) // stride + 1
    out_width = (W - pool_width) // stride + 1

    planes = x.reshape(N * C, 1, H, W)
    columns = im2col_indices(planes, pool_height, pool_width, padding=0, stride=stride)
    winners = np.argmax(columns, axis=0)
    maxima = columns[winners, np.arange(columns.shape[1])]
    out = maxima.reshape(out_height, out_width, N, C).transpose(2, 3, 0, 1)
    cache = (x, columns, winners, pool_param)
    return np.ascontiguousarray(out), cache


def max_pool_backward_im2col(dout, cache):
    x, columns, winners, pool_param = cache
    N, C, H, W = x.shape
    pool_height, pool_width = pool_param["pool_height"], pool_param["pool_width"]
    stride = pool_param["stride"]

    dout_rows = dout.transpose(2, 3, 0, 1).ravel()
    dcolumns = np.zeros_like(columns)
    dcolumns[winners, np.arange(dcolumns.shape[1])] = dout_rows
    dx = col2im_indices(dcolumns, (N * C, 1, H, W), pool_height, pool_width, padding=0,
                        stride=stride)
    return dx.reshape(x.shape)


def max_pool_forward_reshape(x, pool_param):
    """The square, non-overlapping case (pool size == stride, dividing H and W) by a reshape."""
    N, C, H, W = x.shape
    size, stride = pool_param["pool_height"], pool_param["stride"]
    if not (pool_param["pool_width"] == size == stride and H % size == 0 and W % size == 0):
        raise ValueError("max_pool_forward_reshape needs square pools tiling the input")
    blocks = x.reshape(N, C, H // size, size, W // size, size)
    out = blocks.max(axis=3).max(axis=4)
    cache = (x, blocks, out)
    return out, cache


def max_pool_backward_reshape(dout, cache):
    """Gradient to every position equal to its window's maximum (ties share it, as in the starter)."""
    x, blocks, out = cache
    mask = blocks == out[:, :, :, None, :, None]
    dblocks = mask * dout[:, :, :, None, :, None]
    return dblocks.reshape(x.shape)


def max_pool_forward_fast(x, pool_param):
    """The reshape method when the pools tile the input, im2col otherwise."""
    N, C, H, W = x.shape
    size, stride = pool_param["pool_height"], pool_param["stride"]
    if pool_param["pool_width"] == size == stride and H % size == 0 and W % size == 0:
        out, inner = max_pool_forward_reshape(x, pool_param)
        return out, ("reshape", inner)
    out, inner = max_pool_forward_im2col(x, pool_param)
    return out, ("im2col", inner)


def max_pool_backward_fast(dout, cache):
    method, inner = cache
    if method == "reshape":
        return max_pool_backward_reshape(dout, inner)
    return max_pool_backward_im2col(dout, inner)
