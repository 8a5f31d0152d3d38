"""Fetch CIFAR-10 (python version) into data/cifar-10-batches-py (`make data`).

    python data/get_cifar10.py

Downloads https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz (about 163 MB) into data/,
checks its MD5 against the one published on the CIFAR-10 page, and extracts the pickled batches
(data_batch_1..5, test_batch, batches.meta). Without network access it says so and exits 1;
the notebooks then use the embedded UCI digits (data/digits.npz) instead.
"""
import hashlib
import http.client
import shutil
import sys
import tarfile
import urllib.request
from pathlib import Path

URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
MD5 = "c58f30108f718f92721af3b95e74349a"
DATA_DIR = Path(__file__).resolve().parent
ARCHIVE = DATA_DIR / "cifar-10-python.tar.gz"
BATCHES_DIR = DATA_DIR / "cifar-10-batches-py"
BATCH_FILES = tuple(f"data_batch_{i}" for i in range(1, 6)) + ("test_batch",)
CHUNK = 1 << 20


def download(url, dest, timeout=60):
    """Stream `url` into `dest` (via a .part file, renamed when complete), printing progress."""
    part = dest.with_name(dest.name + ".part")
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response, open(part, "wb") as out:
            total = int(response.headers.get("Content-Length") or 0)
            done = 0
            while True:
                chunk = response.read(CHUNK)
                if not chunk:
                    break
                out.write(chunk)
                done += len(chunk)
                shown = f"{done / 1e6:6.1f} MB"
                if total:
                    shown += f" / {total / 1e6:.1f} MB ({100 * done / total:5.1f}%)"
                print("\r  " + shown, end="", flush=True)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    finally:
        print()
    part.replace(dest)


def md5sum(path):
    digest = hashlib.md5()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def extract(archive, dest_dir):
    """Extract the archive's cifar-10-batches-py/ folder into dest_dir; return that folder.

    Members that are not plain files or folders, or that would land outside dest_dir, are refused
    (tarfile's "data" filter), so a tampered archive cannot write elsewhere.
    """
    dest_dir = Path(dest_dir)
    with tarfile.open(archive, "r:gz") as tar:
        if hasattr(tarfile, "data_filter"):  # Python >= 3.11.4
            tar.extractall(dest_dir, filter="data")
        else:
            root = dest_dir.resolve()
            for member in tar.getmembers():
                target = (root / member.name).resolve()
                if not (member.isfile() or member.isdir()) or root not in (target, *target.parents):
                    raise RuntimeError(f"{archive}: refusing to extract {member.name!r}")
            tar.extractall(dest_dir)
    folder = dest_dir / "cifar-10-batches-py"
    missing = [name for name in BATCH_FILES if not (folder / name).is_file()]
    if missing:
        raise RuntimeError(f"{archive} did not contain cifar-10-batches-py/{', '.join(missing)}")
    return folder


def main():
    if all((BATCHES_DIR / name).is_file() for name in BATCH_FILES):
        print(f"CIFAR-10 is already in {BATCHES_DIR}")
        return 0
    checksum = md5sum(ARCHIVE) if ARCHIVE.exists() else None
    if checksum != MD5:
        print(f"Downloading {URL}")
        try:
            download(URL, ARCHIVE)
        except (OSError, http.client.HTTPException) as error:  # URLError is an OSError
            print(f"\nCould not download CIFAR-10 ({error}).\n"
                  "The notebooks will use the embedded UCI handwritten digits (data/digits.npz) "
                  "instead; run `make data` again where the network is reachable.",
                  file=sys.stderr)
            return 1
        checksum = md5sum(ARCHIVE)
    if checksum != MD5:
        print(f"{ARCHIVE} has MD5 {checksum}, expected {MD5}: the download is damaged; "
              "run `make data` again.", file=sys.stderr)
        return 1
    print(f"Extracting into {DATA_DIR}")
    if BATCHES_DIR.exists():
        shutil.rmtree(BATCHES_DIR)
    try:
        folder = extract(ARCHIVE, DATA_DIR)
    except (tarfile.TarError, RuntimeError) as error:
        print(f"Could not extract {ARCHIVE}: {error}", file=sys.stderr)
        return 1
    print(f"CIFAR-10 is ready in {folder}; the notebooks will use it.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
