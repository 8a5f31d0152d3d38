"""Data loading (given): CIFAR-10 when it is on disk, else the embedded digits set.

The notebooks call get_data(), which prefers CIFAR-10 (fetched once with
`make data`) and otherwise uses the UCI handwritten digits that ship in data/digits.npz,
so every notebook runs offline on a fresh clone.
"""
import os
import pickle
from pathlib import Path

import numpy as np

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
CIFAR10_DIR = DATA_DIR / "cifar-10-batches-py"
DIGITS_FILE = DATA_DIR / "digits.npz"


def load_CIFAR_batch(filename):
    """Load one pickled CIFAR-10 batch.

    Returns a tuple of:
    - X: uint8 images of shape (10000, 32, 32, 3) (as many rows as the batch holds)
    - Y: int64 labels of shape (10000,)
    """
    with open(filename, "rb") as f:
        datadict = pickle.load(f, encoding="latin1")
    X = np.asarray(datadict["data"], dtype=np.uint8)
    Y = np.asarray(datadict["labels"], dtype=np.int64)
    X = X.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return X, Y


def load_CIFAR10(ROOT):
    """Load all of CIFAR-10 from the standard python batches in ROOT.

    Returns Xtr (50000, 32, 32, 3), Ytr (50000,), Xte (10000, 32, 32, 3), Yte (10000,).
    """
    xs, ys = [], []
    for b in range(1, 6):
        X, Y = load_CIFAR_batch(os.path.join(ROOT, "data_batch_%d" % b))
        xs.append(X)
        ys.append(Y)
    Xtr, Ytr = np.concatenate(xs), np.concatenate(ys)
    Xte, Yte = load_CIFAR_batch(os.path.join(ROOT, "test_batch"))
    return Xtr, Ytr, Xte, Yte


def get_CIFAR10_data(num_training=49000, num_validation=1000, num_test=1000,
                     subtract_mean=True, cifar10_dir=None):
    """Load CIFAR-10 and preprocess it as in CS231n.

    Returns a dict with X_train (num_training, 3, 32, 32) float32 and y_train, X_val,
    y_val, X_test, y_test, and "name": "CIFAR-10".
    """
    cifar10_dir = CIFAR10_DIR if cifar10_dir is None else cifar10_dir
    X_train, y_train, X_test, y_test = load_CIFAR10(cifar10_dir)
    data = _split(X_train.astype(np.float32), y_train, X_test.astype(np.float32), y_test,
                  num_training, num_validation, num_test)
    return _finish(data, subtract_mean, channels_last=True, name="CIFAR-10")


def load_digits(path=None):
    """Load the embedded UCI handwritten digits.

    Returns a tuple of:
    - images: uint8 of shape (1797, 8, 8), pixel values 0..16
    - labels: uint8 of shape (1797,), the digit 0..9
    """
    with np.load(DIGITS_FILE if path is None else path, allow_pickle=False) as f:
        return f["images"], f["labels"]


def get_digits_data(num_training=1197, num_validation=300, num_test=300, subtract_mean=True,
                    seed=0):
    """The digits split as the notebooks use it (a fixed shuffle, then train/val/test).

    Returns a dict with X_train (num_training, 1, 8, 8) float32 scaled to [0, 1] and
    y_train, X_val, y_val, X_test, y_test, and "name": "UCI digits".
    """
    images, labels = load_digits()
    order = np.random.default_rng(seed).permutation(len(labels))
    X = images[order].astype(np.float32)[:, None, :, :] / 16.0   # (N, 1, 8, 8)
    y = labels[order].astype(np.int64)
    n_trval = num_training + num_validation
    data = _split(X[:n_trval], y[:n_trval], X[n_trval:], y[n_trval:],
                  num_training, num_validation, num_test)
    return _finish(data, subtract_mean, channels_last=False, name="UCI digits")


def get_data(prefer="cifar10", **kwargs):
    """CIFAR-10 when data/cifar-10-batches-py exists (and prefer="cifar10"), else digits.

    The returned dict's "name" says which data set it is; the notebooks print it.
    """
    if prefer == "cifar10" and (CIFAR10_DIR / "data_batch_1").exists():
        return get_CIFAR10_data(**kwargs)
    return get_digits_data()


def _split(X_trval, y_trval, X_test, y_test, num_training, num_validation, num_test):
    return {
        "X_train": X_trval[:num_training], "y_train": y_trval[:num_training],
        "X_val": X_trval[num_training:num_training + num_validation],
        "y_val": y_trval[num_training:num_training + num_validation],
        "X_test": X_test[:num_test], "y_test": y_test[:num_test],
    }


def _finish(data, subtract_mean, channels_last, name):
    if subtract_mean:
        mean_image = data["X_train"].mean(axis=0)
        for split in ("X_train", "X_val", "X_test"):
            data[split] = data[split] - mean_image
    if channels_last:  # (N, H, W, C) -> (N, C, H, W)
        for split in ("X_train", "X_val", "X_test"):
            data[split] = data[split].transpose(0, 3, 1, 2).copy()
    data["name"] = name
    return data
