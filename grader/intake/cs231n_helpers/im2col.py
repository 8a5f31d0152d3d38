"""Image-to-column helpers under the CS231n names (`cs231n.im2col`), in plain NumPy.

Given to every submission by the grader so that code written for the Stanford starters, whose
layer_utils.py and fast_layers.py import this module, loads unchanged. Not graded.

Layout (as in the starter): a column holds one receptive field, rows ordered by channel, then
filter row, then filter column; columns ordered by output row, output column, then example
(the example index varies fastest).
"""
import numpy as np


def get_im2col_indices(x_shape, field_height, field_width, padding=1, stride=1):
    """Index arrays (k, i, j) such that x_padded[:, k, i, j] has shape
    (N, C * field_height * field_width, out_height * out_width)."""
    N, C, H, W = x_shape
    if (H + 2 * padding - field_height) % stride or (W + 2 * padding - field_width) % stride:
        raise ValueError("the filter does not tile the padded input with this stride")
    out_height = (H + 2 * padding - field_height) // stride + 1
    out_width = (W + 2 * padding - field_width) // stride + 1

    # Offsets inside one receptive field, one row per (c, fy, fx).
    fy = np.repeat(np.arange(field_height), field_width)
    fx = np.tile(np.arange(field_width), field_height)
    fy, fx = np.tile(fy, C), np.tile(fx, C)
    # Top-left corner of every receptive field, one column per (oy, ox).
    oy = stride * np.repeat(np.arange(out_height), out_width)
    ox = stride * np.tile(np.arange(out_width), out_height)

    i = fy.reshape(-1, 1) + oy.reshape(1, -1)
    j = fx.reshape(-1, 1) + ox.reshape(1, -1)
    k = np.repeat(np.arange(C), field_height * field_width).reshape(-1, 1)
    return k.astype(int), i.astype(int), j.astype(int)


def im2col_indices(x, field_height, field_width, padding=1, stride=1):
    """(C * fh * fw, out_h * out_w * N) columns of the zero-padded x of shape (N, C, H, W)."""
    p = padding
    x_padded = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), mode="constant")
    k, i, j = get_im2col_indices(x.shape, field_height, field_width, padding, stride)
    cols = x_padded[:, k, i, j]                       # (N, C*fh*fw, out_h*out_w)
    return cols.transpose(1, 2, 0).reshape(field_height * field_width * x.shape[1], -1)


def col2im_indices(cols, x_shape, field_height=3, field_width=3, padding=1, stride=1):
    """The adjoint of im2col_indices: sum every column entry back into its pixel."""
    N, C, H, W = x_shape
    H_padded, W_padded = H + 2 * padding, W + 2 * padding
    x_padded = np.zeros((N, C, H_padded, W_padded), dtype=cols.dtype)
    k, i, j = get_im2col_indices(x_shape, field_height, field_width, padding, stride)
    cols_reshaped = cols.reshape(C * field_height * field_width, -1, N).transpose(2, 0, 1)
    np.add.at(x_padded, (slice(None), k, i, j), cols_reshaped)
    if padding == 0:
        return x_padded
    return x_padded[:, :, padding:-padding, padding:-padding]
