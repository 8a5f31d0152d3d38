"""assignment/data_utils.py and data/get_cifar10.py, offline.

CIFAR-10 is never downloaded here: the loader is fed small batch files written in the standard
format (a pickled dict with uint8 'data' of shape (n, 3072), each row the red, green and blue
32x32 planes row-major, and a list 'labels'), and the fetcher's extraction runs on a tiny tar.
"""
import importlib.util
import io
import pickle
import tarfile
from pathlib import Path

import numpy as np
import pytest

from assignment import data_utils

ROOT = Path(__file__).resolve().parents[2]


# --------------------------------------------------------------------------------------------
# the embedded digits

def test_digits_load():
    images, labels = data_utils.load_digits()
    assert images.shape == (1797, 8, 8) and images.dtype == np.uint8
    assert labels.shape == (1797,) and labels.dtype == np.uint8
    assert images.min() == 0 and images.max() == 16  # 4x4 blocks of on-pixels counted: 0..16
    assert set(np.unique(labels)) == set(range(10))
    assert np.bincount(labels).min() >= 170  # about 180 of each digit
    # The first image of scikit-learn's copy is a 0 whose top row is 0 0 5 13 9 1 0 0.
    assert labels[0] == 0
    np.testing.assert_array_equal(images[0, 0], [0, 0, 5, 13, 9, 1, 0, 0])


def test_digits_split():
    data = data_utils.get_digits_data()
    assert data["name"] == "UCI digits"
    sizes = {"train": 1197, "val": 300, "test": 300}
    for split, n in sizes.items():
        X, y = data[f"X_{split}"], data[f"y_{split}"]
        assert X.shape == (n, 1, 8, 8) and X.dtype == np.float32, split
        assert y.shape == (n,) and y.dtype == np.int64, split
        assert set(np.unique(y)) == set(range(10)), split
    # Mean-subtracted with the training mean, from pixels scaled to [0, 1].
    np.testing.assert_allclose(data["X_train"].mean(axis=0), 0, atol=1e-6)
    raw = data_utils.get_digits_data(subtract_mean=False)
    assert raw["X_train"].min() == 0 and raw["X_train"].max() == 1
    # The three splits are disjoint pieces of one shuffle of all 1797 images.
    images, _ = data_utils.load_digits()
    together = np.concatenate([raw["X_train"], raw["X_val"], raw["X_test"]]).reshape(-1, 64)
    assert len(np.unique(together, axis=0)) == len(np.unique(images.reshape(-1, 64), axis=0))
    # The shuffle is fixed: the same call gives the same split.
    np.testing.assert_array_equal(data_utils.get_digits_data()["y_val"], data["y_val"])


def test_get_data_without_cifar_gives_digits(tmp_path, monkeypatch):
    monkeypatch.setattr(data_utils, "CIFAR10_DIR", tmp_path / "cifar-10-batches-py")
    assert data_utils.get_data()["name"] == "UCI digits"


# --------------------------------------------------------------------------------------------
# CIFAR-10 from small batch files

ROWS = {"data_batch_1": 4, "data_batch_2": 3, "data_batch_3": 5, "data_batch_4": 4,
        "data_batch_5": 4, "test_batch": 6}


def cifar_rows(n, offset):
    """n images; image i has label (offset + i) % 10, and one marked pixel per channel:
    R at (row 1, col 2) = 200, G at (row 3, col 4) = 150, B at (row 31, col 0) = 100 + i.
    Everything else is (offset + i) % 50."""
    background = (offset + np.arange(n)) % 50
    planes = np.broadcast_to(background[:, None, None, None], (n, 3, 32, 32)).astype(np.uint8)
    planes[:, 0, 1, 2] = 200
    planes[:, 1, 3, 4] = 150
    planes[:, 2, 31, 0] = 100 + np.arange(n)
    return planes.reshape(n, 3072), [int(label) for label in (offset + np.arange(n)) % 10]


@pytest.fixture
def cifar_dir(tmp_path):
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    offset = 0
    for name, n in ROWS.items():
        data, labels = cifar_rows(n, offset)
        batch = {"batch_label": f"{name} of 6", "labels": labels, "data": data,
                 "filenames": [f"img_{offset + i}.png" for i in range(n)]}
        with open(folder / name, "wb") as f:
            pickle.dump(batch, f, protocol=2)
        offset += n
    return folder


def test_load_cifar_batch(cifar_dir):
    X, Y = data_utils.load_CIFAR_batch(cifar_dir / "data_batch_2")
    assert X.shape == (3, 32, 32, 3) and X.dtype == np.uint8
    assert Y.shape == (3,) and Y.tolist() == [4, 5, 6]
    # (H, W, C): the red plane's marked pixel is at row 1, column 2, channel 0, and so on.
    assert (X[:, 1, 2, 0] == 200).all()
    assert (X[:, 3, 4, 1] == 150).all()
    assert X[:, 31, 0, 2].tolist() == [100, 101, 102]
    assert X[0, 2, 1, 0] == 4 and X[0, 1, 2, 1] == 4  # neighbours keep the background value


def test_load_cifar10(cifar_dir):
    Xtr, Ytr, Xte, Yte = data_utils.load_CIFAR10(cifar_dir)
    n_train = sum(n for name, n in ROWS.items() if name != "test_batch")
    assert Xtr.shape == (n_train, 32, 32, 3) and Ytr.shape == (n_train,)
    assert Xte.shape == (6, 32, 32, 3) and Yte.shape == (6,)
    assert Ytr.tolist() == [i % 10 for i in range(n_train)]  # batches 1..5 in order
    assert Yte.tolist() == [(n_train + i) % 10 for i in range(6)]


def test_get_cifar10_data(cifar_dir):
    data = data_utils.get_CIFAR10_data(num_training=12, num_validation=5, num_test=4,
                                       subtract_mean=False, cifar10_dir=cifar_dir)
    assert data["name"] == "CIFAR-10"
    for split, n in {"train": 12, "val": 5, "test": 4}.items():
        X, y = data[f"X_{split}"], data[f"y_{split}"]
        assert X.shape == (n, 3, 32, 32) and X.dtype == np.float32, split
        assert y.shape == (n,), split
    # Channels first for the networks: channel 0 is red, row 1, column 2.
    assert (data["X_train"][:, 0, 1, 2] == 200).all()
    assert (data["X_train"][:, 1, 3, 4] == 150).all()
    assert data["y_val"].tolist() == [(12 + i) % 10 for i in range(5)]
    centred = data_utils.get_CIFAR10_data(num_training=12, num_validation=5, num_test=4,
                                          cifar10_dir=cifar_dir)
    np.testing.assert_allclose(centred["X_train"].mean(axis=0), 0, atol=1e-4)


def test_get_data_prefers_cifar_when_present(cifar_dir, monkeypatch):
    monkeypatch.setattr(data_utils, "CIFAR10_DIR", cifar_dir)
    data = data_utils.get_data(num_training=12, num_validation=5, num_test=4)
    assert data["name"] == "CIFAR-10"
    assert data["X_train"].shape == (12, 3, 32, 32)
    assert data_utils.get_data(prefer="digits")["name"] == "UCI digits"


# --------------------------------------------------------------------------------------------
# data/get_cifar10.py, without the network

@pytest.fixture(scope="module")
def fetcher():
    spec = importlib.util.spec_from_file_location("get_cifar10", ROOT / "data" / "get_cifar10.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def tar_of(path, members):
    """A .tar.gz at path holding {name: bytes}."""
    with tarfile.open(path, "w:gz") as tar:
        for name, content in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    return path


def test_extract_unpacks_the_batches(fetcher, tmp_path, cifar_dir):
    members = {f"cifar-10-batches-py/{p.name}": p.read_bytes() for p in cifar_dir.iterdir()}
    archive = tar_of(tmp_path / "cifar.tar.gz", members)
    dest = tmp_path / "data"
    dest.mkdir()
    folder = fetcher.extract(archive, dest)
    assert folder == dest / "cifar-10-batches-py"
    X, Y = data_utils.load_CIFAR_batch(folder / "test_batch")
    assert X.shape == (6, 32, 32, 3) and (X[:, 1, 2, 0] == 200).all()


def test_extract_refuses_incomplete_or_escaping_archives(fetcher, tmp_path):
    dest = tmp_path / "data"
    dest.mkdir()
    incomplete = tar_of(tmp_path / "a.tar.gz", {"cifar-10-batches-py/data_batch_1": b"x"})
    with pytest.raises(RuntimeError, match="test_batch"):
        fetcher.extract(incomplete, dest)
    escaping = tar_of(tmp_path / "b.tar.gz", {"../outside": b"x"})
    with pytest.raises((tarfile.TarError, RuntimeError)):
        fetcher.extract(escaping, dest)
    assert not (tmp_path / "outside").exists()


def test_md5sum(fetcher, tmp_path):
    (tmp_path / "f").write_bytes(b"abc")
    assert fetcher.md5sum(tmp_path / "f") == "900150983cd24fb0d6963f7d28e17f72"


def test_main_without_network_says_the_digits_will_be_used(fetcher, tmp_path, monkeypatch,
                                                           capsys):
    def offline(url, dest, timeout=60):
        raise OSError("Temporary failure in name resolution")

    monkeypatch.setattr(fetcher, "download", offline)
    monkeypatch.setattr(fetcher, "DATA_DIR", tmp_path)
    monkeypatch.setattr(fetcher, "ARCHIVE", tmp_path / "cifar-10-python.tar.gz")
    monkeypatch.setattr(fetcher, "BATCHES_DIR", tmp_path / "cifar-10-batches-py")
    assert fetcher.main() == 1
    err = capsys.readouterr().err
    assert "Could not download CIFAR-10" in err and "digits" in err
    assert list(tmp_path.iterdir()) == []


def test_main_checks_the_md5_then_extracts(fetcher, tmp_path, cifar_dir, monkeypatch, capsys):
    members = {f"cifar-10-batches-py/{p.name}": p.read_bytes() for p in cifar_dir.iterdir()}
    served = tar_of(tmp_path / "served.tar.gz", members)
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    monkeypatch.setattr(fetcher, "download", lambda url, dest, timeout=60: dest.write_bytes(
        served.read_bytes()))
    monkeypatch.setattr(fetcher, "DATA_DIR", data_dir)
    monkeypatch.setattr(fetcher, "ARCHIVE", data_dir / "cifar-10-python.tar.gz")
    monkeypatch.setattr(fetcher, "BATCHES_DIR", data_dir / "cifar-10-batches-py")

    assert fetcher.main() == 1  # the real MD5 cannot match this little archive
    assert "MD5" in capsys.readouterr().err
    assert not (data_dir / "cifar-10-batches-py").exists()

    monkeypatch.setattr(fetcher, "MD5", fetcher.md5sum(served))
    assert fetcher.main() == 0
    X, _ = data_utils.load_CIFAR_batch(data_dir / "cifar-10-batches-py" / "data_batch_5")
    assert X.shape == (4, 32, 32, 3)
    capsys.readouterr()
    assert fetcher.main() == 0  # a second run finds the batches and fetches nothing
    assert "already" in capsys.readouterr().out
