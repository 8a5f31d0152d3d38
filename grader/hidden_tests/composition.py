"""FullyConnectedNet judged against the student's OWN layers, composed by the grader.

When a network test fails, the grader runs the same requests through the student's layer
functions one call at a time ({affine - [batch/layer norm] - relu - [dropout]} x (L - 1) -
affine - softmax, the loss with 0.5 * reg * sum(W^2)), each call a request to the student's
process like any other, and the backward pass as forward-then-backward pairs on the student's
own caches (which never leave that process). On every call the reference layer runs here on
the same input: a layer whose answer differs is a broken dependency. A network that agrees
with this composition and fails only because of broken layers keeps its points (the rubric's
dependency_credit; grader/hidden_tests/dependencies.py); the report names the layers to fix.
"""
from __future__ import annotations

import time

import numpy as np

from grader.hidden_tests.checks import as_array, compare
from grader.hidden_tests.harness import (
    ask, call, compare_key, copied, reference_call, reference_forward_backward)

RUNNING = ("running_mean", "running_var")

PAIRS = {"affine_forward": ("affine_backward",), "relu_forward": ("relu_backward",),
         "dropout_forward": ("dropout_backward",), "layernorm_forward": ("layernorm_backward",),
         "batchnorm_forward": ("batchnorm_backward", "batchnorm_backward_alt"),
         "softmax_loss": ()}
FORWARD_OF = {name: forward for forward, names in PAIRS.items() for name in (forward,) + names}

NORMS = {"batchnorm": ("batchnorm_forward", ("batchnorm_backward_alt", "batchnorm_backward")),
         "layernorm": ("layernorm_forward", ("layernorm_backward",))}


def scales_kept_units(x, out, p, settings) -> bool:
    """A train-mode dropout output: every unit dropped (0) or kept and divided by the keep
    probability p (where x is 0 the output must be 0)."""
    x = np.asarray(x, dtype=float)
    if out.shape != x.shape:
        return False
    kept = out != 0
    if np.any(kept & (x == 0)):
        return False
    return bool(compare("", out[kept], x[kept] / p, settings.tolerance).ok)


class CannotCompose(Exception):
    """A layer raised or returned something unusable: the network cannot be judged by its layers."""


class Composer:
    """One network's runs through the student's layers; `broken` lists the layers whose
    answers differ from the reference's on the same inputs, `used` every layer called."""

    def __init__(self, student, reference, settings, init, bn_backward=None, *, lenient=False,
                 replaced=()):
        """`lenient`: a layer that raises or answers wrong is noted broken and the reference's
        answer carries the composition on (instead of CannotCompose). `replaced`: forwards
        (and their backwards) answered by the reference from the start, their calls recorded
        in `tables` (grader/hidden_tests/substitutes.py)."""
        self.lenient, self.replaced = lenient, set(replaced)
        self.tables, self.entry_of, self.gradients_unread = {}, {}, False
        self.student, self.layers, self.settings = student, reference.layers, settings
        self.init = init
        self.depth = len(init["hidden_dims"]) + 1
        self.norm = init.get("normalization")
        self.bn_backward = bn_backward or (NORMS[self.norm][1][0] if self.norm else None)
        self.norm_params = [{"mode": "train"} if self.norm == "batchnorm" else {}
                            for _ in range(self.depth - 1)]
        keep = init.get("dropout_keep_ratio", 1)
        self.dropout_param = None if keep == 1 else {"mode": "train", "p": keep}
        if self.dropout_param is not None and init.get("seed") is not None:
            self.dropout_param["seed"] = init["seed"]
        self.broken, self.used = [], []

    # ---- one layer ---------------------------------------------------------------------

    def _note(self, function, wrong):
        if function not in self.used:
            self.used.append(function)
        if wrong and function not in self.broken:
            self.broken.append(function)

    def in_time(self):
        """A composition never runs past its test's deadline (each request would still wait)."""
        if time.monotonic() > self.settings.deadline:
            raise CannotCompose("out of time")

    def reference_forward(self, function, args, note=True):
        (out, _), after = reference_call(getattr(self.layers, function), args)
        if function in self.replaced:
            entries = self.tables.setdefault(function, {"kind": "forward", "entries": []})["entries"]
            self.entry_of[id(args)] = len(entries)
            entries.append({"index": len(entries), "args": copied(list(args)), "result": out,
                            "after": [[i, a] for i, a in enumerate(after) if isinstance(a, dict)]})
            if self.gradients_unread:   # the network still runs its backward: give it zeros
                for name in PAIRS[function]:
                    count = 1 if function in ("relu_forward", "dropout_forward") else 3
                    zeros = tuple(np.zeros(np.shape(a)) for a in args[:count])
                    self.tables.setdefault(name, {"kind": "backward", "entries": []})[
                        "entries"].append({"forward": function, "index": entries[-1]["index"],
                                           "dout": None, "result": zeros if count > 1 else zeros[0]})
            self._note(function, False)
        return np.asarray(out, dtype=float), after

    def forward(self, function, args):
        """The student's function(*args)[0] and the dict arguments as it left them."""
        self.in_time()
        if function in self.replaced:
            return self.reference_forward(function, args)
        reply = call(self.student, self.settings, function, args, pick=0, raw=True)
        out, _ = as_array(reply.result["result"]) if reply.ok else (None, None)
        if out is None and self.lenient:
            self._note(function, True)
            return self.reference_forward(function, args)
        if out is None:
            raise CannotCompose(function)
        after = reply.result["args_after"]
        if function == "dropout_forward" and args[1].get("mode") == "train":
            self._note(function, not scales_kept_units(args[0], out, args[1]["p"], self.settings))
        else:                                   # (a train-mode mask's draws are the student's own)
            (expected, _), ref_args = reference_call(getattr(self.layers, function), args)
            wrong = not compare("", out, expected, self.settings.tolerance).ok
            if function == "batchnorm_forward":     # the running averages it writes back too
                wrong = wrong or not all(compare_key("", after[3], key, ref_args[3][key],
                                                     self.settings).ok for key in RUNNING)
            self._note(function, wrong)
        if self.lenient and function in self.broken:
            return self.reference_forward(function, args)
        return out, after

    def reference_backward(self, forward, backward, args, dout):
        _, grads = reference_forward_backward(self.layers, forward, backward, args, dout)
        if forward in self.replaced:
            for name in PAIRS[forward]:
                self.tables.setdefault(name, {"kind": "backward", "entries": []})["entries"].append(
                    {"forward": forward, "index": self.entry_of[id(args)], "dout": [np.array(dout)],
                     "result": grads if len(grads) > 1 else grads[0]})
            self._note(backward, False)
        return [np.asarray(g, dtype=float) for g in grads]

    def backward(self, forward, backward, args, dout):
        """The student's forward then backward on its own cache: the gradients as a tuple."""
        self.in_time()
        if forward in self.replaced:
            return self.reference_backward(forward, backward, args, dout)
        if self.lenient and forward in self.broken:
            return self.reference_backward(forward, backward, args, dout)
        reply = ask(self.student, self.settings, {
            "op": "forward_backward", "module": "layers", "forward": forward,
            "backward": backward, "args": list(args), "dout": dout}, raw=True)
        grads = reply.result.get("backward") if reply.ok else None
        grads = grads if isinstance(grads, tuple) else (grads,)
        arrays = [as_array(g)[0] for g in grads]
        if any(a is None for a in arrays):
            if self.lenient:
                self._note(backward, True)
                return self.reference_backward(forward, backward, args, dout)
            raise CannotCompose(backward)
        if forward == "dropout_forward":
            # the gradient of the student's own draw: out / x where x is not 0
            out, _ = as_array(reply.result.get("forward"))
            x = np.asarray(args[0], dtype=float)
            nonzero = x != 0
            right = (out is not None and out.shape == x.shape and arrays[0].shape == x.shape
                     and compare("", arrays[0][nonzero], (dout * out / np.where(nonzero, x, 1))[nonzero],
                                 self.settings.tolerance).ok)
            self._note(backward, not right and forward not in self.broken)
            if self.lenient and backward in self.broken:
                return self.reference_backward(forward, backward, args, dout)
        else:
            _, expected = reference_forward_backward(self.layers, forward, backward, args, dout)
            wrong = not all(compare("", a, e, self.settings.tolerance).ok
                            for a, e in zip(arrays, expected))
            forward_wrong = forward in self.broken
            self._note(backward, wrong and not forward_wrong)   # a wrong forward explains it
        if self.lenient and backward in self.broken:
            return self.reference_backward(forward, backward, args, dout)
        return arrays

    # ---- the network -------------------------------------------------------------------

    def run(self, params, X, y, want_grads=True) -> dict:
        """One loss() call: {"scores"} without y, else {"loss", "grads"} (or {"loss"})."""
        mode = "train" if y is not None else "test"
        self.gradients_unread = y is not None and not want_grads
        for param in self.norm_params:
            if self.norm == "batchnorm":
                param["mode"] = mode
        if self.dropout_param is not None:
            self.dropout_param["mode"] = mode
        h, saved = np.asarray(X, dtype=float), []
        for i in range(1, self.depth):
            W, b = params["W%d" % i], params["b%d" % i]
            layer = {"affine": [h, W, b]}
            h, _ = self.forward("affine_forward", layer["affine"])
            if self.norm:
                before = copied(self.norm_params[i - 1])
                args = [h, params["gamma%d" % i], params["beta%d" % i], before]
                layer["norm"] = args     # (calls get copies: bn_param stays as it was before)
                h, after = self.forward(NORMS[self.norm][0], args)
                if isinstance(after[3], dict):
                    self.norm_params[i - 1] = after[3]
            layer["relu"] = [h]
            h, _ = self.forward("relu_forward", layer["relu"])
            if self.dropout_param is not None:
                layer["dropout"] = [h, dict(self.dropout_param)]
                h, _ = self.forward("dropout_forward", layer["dropout"])
            saved.append(layer)
        last = [h, params["W%d" % self.depth], params["b%d" % self.depth]]
        scores, _ = self.forward("affine_forward", last)
        if y is None:
            return {"scores": scores}
        loss, dscores = self.softmax(scores, y)
        loss += sum(0.5 * self.init.get("reg", 0.0) * float(np.sum(params["W%d" % i] ** 2))
                    for i in range(1, self.depth + 1))
        if not want_grads:
            return {"loss": loss}
        return {"loss": loss, "grads": self.gradients(params, saved, last, dscores)}

    def softmax(self, scores, y):
        self.in_time()
        (ref_loss, ref_dx), _ = reference_call(self.layers.softmax_loss, [scores, y])
        if "softmax_loss" in self.replaced:
            entries = self.tables.setdefault("softmax_loss", {"kind": "forward", "entries": []})
            entries["entries"].append({"index": len(entries["entries"]), "cache": False,
                                       "args": [np.array(scores), np.array(y)],
                                       "result": (ref_loss, ref_dx), "after": []})
            self._note("softmax_loss", False)
            return float(ref_loss), np.asarray(ref_dx, dtype=float)
        reply = call(self.student, self.settings, "softmax_loss", [scores, y], raw=True)
        result = reply.result["result"] if reply.ok else None
        usable = isinstance(result, (tuple, list)) and len(result) == 2
        loss, dscores = (as_array(result[0])[0], as_array(result[1])[0]) if usable else (None, None)
        if loss is None or dscores is None or loss.size != 1:
            if not self.lenient:
                raise CannotCompose("softmax_loss")
            self._note("softmax_loss", True)
            return float(ref_loss), np.asarray(ref_dx, dtype=float)
        tolerance = self.settings.tolerance
        self._note("softmax_loss", not (compare("", loss, ref_loss, tolerance).ok
                                        and compare("", dscores, ref_dx, tolerance).ok))
        if self.lenient and "softmax_loss" in self.broken:
            return float(ref_loss), np.asarray(ref_dx, dtype=float)
        return float(loss.ravel()[0]), dscores

    def gradients(self, params, saved, last, dscores) -> dict:
        reg, grads = self.init.get("reg", 0.0), {}
        L = self.depth
        dh, dW, db = self.backward("affine_forward", "affine_backward", last, dscores)
        grads["W%d" % L], grads["b%d" % L] = dW + reg * params["W%d" % L], db
        for i in range(L - 1, 0, -1):
            layer = saved[i - 1]
            if "dropout" in layer:
                dh, = self.backward("dropout_forward", "dropout_backward", layer["dropout"], dh)
            dh, = self.backward("relu_forward", "relu_backward", layer["relu"], dh)
            if "norm" in layer:
                backward = self.bn_backward
                dh, grads["gamma%d" % i], grads["beta%d" % i] = self.backward(
                    NORMS[self.norm][0], backward, layer["norm"], dh)
            dh, dW, db = self.backward("affine_forward", "affine_backward", layer["affine"], dh)
            grads["W%d" % i], grads["b%d" % i] = dW + reg * params["W%d" % i], db
        return grads


def compose(student, reference, settings, init, runs, want_grads=True):
    """The answers of the composed network to a "model" request's runs (the format of the
    child's reply, plus bn_params when a run asks), one Composer per batch norm backward the
    student's network may call. Yields (composer, answers); nothing when a layer fails."""
    backwards = NORMS[init["normalization"]][1] if init.get("normalization") else (None,)
    for bn_backward in backwards:
        composer = Composer(student, reference, settings, init, bn_backward)
        answers, params = [], None
        try:
            for run in runs:
                params = run.get("params") or params
                entry = composer.run(params, run["X"], run.get("y"), want_grads and not run.get("loss_only"))
                if run.get("bn_params"):
                    entry["bn_params"] = copied(composer.norm_params)
                answers.append(entry)
        except CannotCompose:
            return
        yield composer, answers
