"""The hidden-test child and its client: the wire format, the operations, and surviving
hostile student code (loops, exits, signals, memory bombs, floods of output, forks,
garbage on the reply pipe, broken imports)."""
import io
import json
import os
import time

import numpy as np
import pytest

from grader.hidden_tests.child import protocol
from grader.isolation.sandbox import Limits
from grader.hidden_tests.student_process import StudentProcess
from grader.pipeline import grade_submission
from grader.rubric import load_rubric
from tests.support import (make_workspace, overridden, sandbox_level, solution, submission,
                           write_rubric)

LIMITS = Limits(cpu_seconds=60, memory_bytes=2 << 30, output_bytes=64 << 10)


def student(tmp_path, files=None, *, solutions=True, **options):
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    return StudentProcess(make_workspace(tmp_path, files, solutions=solutions), scratch, LIMITS,
                          level=sandbox_level(), **options)


def layers_with(name, definition):
    return {"layers.py": overridden("layers.py", definition)}


def call(process, function, *args, timeout=10, pick=None, module="layers"):
    return process.request({"op": "call", "module": module, "function": function,
                            "args": list(args), "pick": pick}, timeout=timeout)


# --------------------------------------------------------------------------- protocol


def roundtrip(value):
    return protocol.decode(protocol.encode(value))


def test_values_roundtrip_with_nonfinite_floats_tuples_and_scalars():
    value = {"nan": float("nan"), "inf": float("inf"), "-inf": -np.inf, "int": 2**70,
             "tuple": (1, [2.5, None, True], "s"), "np": np.float32(1.5), "nan32": np.float64("nan"),
             "array": np.arange(6.0).reshape(2, 3), "empty": np.zeros((0, 4)),
             "collides": {"__nd__": 1, "__tuple__": [2]}}
    back = roundtrip(value)
    assert np.isnan(back["nan"]) and back["inf"] == np.inf and back["-inf"] == -np.inf
    assert back["int"] == 2**70 and back["tuple"] == (1, [2.5, None, True], "s")
    assert back["np"] == np.float32(1.5) and back["np"].dtype == np.float32
    assert np.isnan(back["nan32"])
    assert np.array_equal(back["array"], value["array"]) and back["empty"].shape == (0, 4)
    assert back["collides"] == {"__nd__": 1, "__tuple__": [2]}


def test_objects_are_described_never_pickled():
    back = roundtrip([object(), (i for i in range(3)), np.array([{}, 1], dtype=object),
                      {1: "non-string key"}, {1, 2}])
    assert all(isinstance(item, protocol.Unsupported) for item in back)
    assert back[0].type_name == "object" and back[1].type_name == "generator"
    assert "object" in back[2].type_name and "non-string" in back[3].type_name


def test_one_array_object_is_sent_once():
    shared = np.ones(1000)
    single = len(protocol.encode([shared]))
    assert len(protocol.encode([shared] * 50)) < single + 50 * 40


def test_reader_refuses_oversized_and_malformed_frames():
    with pytest.raises(protocol.ProtocolError, match="limit"):
        protocol.check_length((protocol.MAX_FRAME + 1).to_bytes(8, "big"))
    with pytest.raises(protocol.ProtocolError):
        protocol.decode(b"\x00\x00\x00\x05{nope")
    buffer = io.BytesIO()
    np.savez(buffer, a0=np.array([object()], dtype=object), allow_pickle=True)
    header = b'{"__nd__":"a0"}'
    with pytest.raises(protocol.ProtocolError):    # a pickled array is never loaded
        protocol.decode(len(header).to_bytes(4, "big") + header + buffer.getvalue())


def test_arrays_travel_as_raw_bytes_checked_against_their_header():
    values = [np.zeros((0, 3)), np.arange(5, dtype=">i4"), np.array(["ab", "c"]),
              np.array([True, False]), np.complex64(1 + 2j), np.zeros((2, 0)),
              np.arange(12.0).reshape(3, 4).T]               # not C-contiguous
    back = roundtrip(values)
    for sent, got in zip(values, back):
        assert np.asarray(got).dtype == np.asarray(sent).dtype
        assert np.array_equal(got, sent)
    assert back[6].flags.writeable and back[6].flags.owndata   # students may write into inputs

    def payload(header: dict, blob: bytes) -> bytes:
        text = json.dumps(header).encode()
        return len(text).to_bytes(4, "big") + text + blob

    good = {"value": {"__nd__": "a0"}, "arrays": [["<f8", [2]]]}
    assert list(protocol.decode(payload(good, bytes(16)))) == [0.0, 0.0]
    for header, blob in [
        (good, bytes(15)),                                         # too short
        (good, bytes(17)),                                         # too long
        ({"value": {"__nd__": "a0"}, "arrays": [["|O", [1]]]}, bytes(8)),      # objects
        ({"value": {"__nd__": "a0"}, "arrays": [["f8,i4", [1]]]}, bytes(12)),  # structured
        ({"value": {"__nd__": "a0"}, "arrays": [["<f8", [-1]]]}, b""),
        ({"value": {"__nd__": "a0"}, "arrays": [["<U999999999", [9]]]}, b""),
        ({"value": {"__nd__": "a0"}}, bytes(16)),                  # no table
    ]:
        with pytest.raises(protocol.ProtocolError):
            protocol.decode(payload(header, blob))


def header_of(value) -> dict:
    payload = protocol.encode(value)
    length = int.from_bytes(payload[:4], "big")
    return json.loads(payload[4:4 + length])


def test_subclasses_and_exact_types_encode_by_the_same_rules():
    """The short ways for exact types (encode's fast paths) agree with the general rules
    that subclasses, NumPy scalars and odd keys still take."""
    import enum

    class Text(str):
        pass

    class Items(list):
        pass

    class Table(dict):
        pass

    class Small(enum.IntEnum):
        TWO = 2

    a = np.arange(3.0)
    value = [a, Items([a, 1]), Table(k=a), {Text("k"): (a,)}, Small.TWO, Text("t"), 1.5,
             float("nan"), np.float64(2.0), 1 + 2j, {"__tuple__": a}, {1: a}, a[::2]]
    assert header_of(value) == {"value": [
        {"__nd__": "a0"}, [{"__nd__": "a0"}, 1], {"k": {"__nd__": "a0"}},
        {"k": {"__tuple__": [{"__nd__": "a0"}]}}, 2, "t", 1.5, {"__float__": "nan"},
        {"__nd__": "a1", "scalar": True}, {"__nd__": "a2", "scalar": True},
        {"__dict__": {"__tuple__": {"__nd__": "a0"}}},
        {"__unsupported__": "dict with non-string keys"}, {"__nd__": "a3"}],
        "arrays": [["<f8", [3]], ["<f8", []], ["<c16", []], ["<f8", [2]]]}
    # a dict refused for its keys sends none of its arrays
    assert header_of({1: np.ones(2), "x": np.ones(3)})["arrays"] == []


def test_nesting_beyond_the_limit_is_described_for_every_kind_of_value():
    def nested(depth, leaf):
        for _ in range(depth):
            leaf = [leaf]
        return leaf

    deepest, marker = protocol.MAX_DEPTH, {
        "__unsupported__": "a value nested more than %d levels deep" % protocol.MAX_DEPTH}

    def at_depth(value, depth):
        tree = header_of(value)["value"]
        for _ in range(depth):
            tree = tree[0]
        return tree

    for leaf in (None, 1, "s", 2.5, np.ones(1)):
        assert at_depth(nested(deepest, leaf), deepest) != marker, leaf
        assert at_depth(nested(deepest + 1, leaf), deepest + 1) == marker, leaf
    assert at_depth(nested(deepest - 1, (1,)), deepest - 1) == {"__tuple__": [1]}
    assert at_depth(nested(deepest, (1,)), deepest) == {"__tuple__": [marker]}
    assert at_depth(nested(deepest, {"a": 1}), deepest) == {"a": marker}


# --------------------------------------------------------------------------- operations


def test_hello_and_call_return_results_and_written_back_dicts(tmp_path):
    with student(tmp_path) as process:
        assert process.import_errors == {}
        x = np.random.default_rng(0).normal(size=(4, 3))
        reply = call(process, "batchnorm_forward", x, np.ones(3), np.zeros(3), {"mode": "train"},
                     pick=0)
        assert reply.ok and reply.result["result"].shape == (4, 3)
        bn_param = reply.result["args_after"][3]
        assert np.allclose(bn_param["running_mean"], 0.1 * x.mean(axis=0))


def test_forward_backward_keeps_the_cache_in_the_child(tmp_path):
    with student(tmp_path) as process:
        x = np.random.default_rng(1).normal(size=(5, 4))
        reply = process.request({"op": "forward_backward", "module": "layers",
                                 "forward": "affine_forward", "backward": "affine_backward",
                                 "args": [x, np.ones((4, 2)), np.zeros(2)], "dout": np.ones((5, 2))},
                                timeout=10)
        assert reply.ok and set(reply.result) == {"forward", "backward", "args_after"}
        dx, dw, db = reply.result["backward"]
        assert dx.shape == (5, 4) and np.allclose(db, [5, 5])


def test_every_call_gets_fresh_copies_of_its_arguments(tmp_path):
    overwrite = """
    def relu_forward(x):
        out = np.maximum(0, x)
        x[...] = 123.0
        return out, x
    """
    with student(tmp_path, layers_with("relu_forward", overwrite)) as process:
        x = np.array([-1.0, 2.0])
        reply = process.request({"op": "call_many", "module": "layers", "function": "relu_forward",
                                 "calls": [{"args": [x]}] * 3, "pick": 0}, timeout=10)
        assert reply.ok
        assert all(np.array_equal(out, [0.0, 2.0]) for out in reply.result["results"])


def test_unsupported_return_values_come_back_described(tmp_path):
    weird = """
    def relu_forward(x):
        return (i for i in x), None
    """
    with student(tmp_path, layers_with("relu_forward", weird)) as process:
        reply = call(process, "relu_forward", np.ones(3), pick=0)
        assert reply.ok and reply.result["result"] == protocol.Unsupported("generator")


def test_model_and_optimizer_operations(tmp_path):
    with student(tmp_path) as process:
        reply = process.request({"op": "model", "init": {
            "hidden_dims": [4], "input_dim": 3, "num_classes": 2, "dtype": "float64",
            "normalization": "batchnorm"}, "return_init": True, "runs": [
                {"X": np.ones((2, 3)), "y": np.array([0, 1]), "bn_params": True},
                {"X": np.ones((1, 3))}]}, timeout=10)
        assert reply.ok
        assert set(reply.result["init_params"]) == {"W1", "b1", "gamma1", "beta1", "W2", "b2"}
        train, test = reply.result["runs"]
        assert set(train["grads"]) == set(reply.result["init_params"])
        assert "running_mean" in train["bn_params"][0] and test["scores"].shape == (1, 2)
        reply = process.request({"op": "optimizer", "rule": "adam", "w": np.zeros(3),
                                 "dws": [np.ones(3)] * 4, "config": None}, timeout=10)
        assert reply.ok and [s["config"]["t"] for s in reply.result["steps"]] == [1, 2, 3, 4]


def test_student_exceptions_come_back_with_their_traceback(tmp_path):
    with student(tmp_path) as process:
        reply = call(process, "batchnorm_forward", np.ones((2, 2)), np.ones(2), np.zeros(2),
                     {"mode": "eval"})
        assert reply.status == "raised" and reply.error["type"] == "ValueError"
        assert "assignment/layers.py" in reply.error["traceback"]
        assert str(tmp_path) not in reply.message          # paths are workspace-relative
        reply = call(process, "no_such_function")
        assert reply.status == "raised" and "has no function no_such_function" in reply.message


# --------------------------------------------------------------------------- hostile code


def test_an_endless_loop_times_out_and_the_next_request_gets_a_fresh_process(tmp_path):
    loop = """
    def relu_forward(x):
        while True:
            pass
    """
    with student(tmp_path, layers_with("relu_forward", loop)) as process:
        started = time.monotonic()
        reply = call(process, "relu_forward", np.ones(3), timeout=1)
        assert reply.status == "timeout" and "timed out after 1 s" in reply.message
        assert time.monotonic() - started < 3
        reply = call(process, "affine_forward", np.ones((1, 2)), np.ones((2, 2)), np.zeros(2), pick=0)
        assert reply.ok and process.starts == 2


@pytest.mark.parametrize("body, expected", [
    ("os._exit(3)", "exited with code 3 (sys.exit or os._exit in your code?)"),
    ("os.kill(os.getpid(), signal.SIGKILL)", "was killed by SIGKILL (memory or CPU limit?)"),
])
def test_a_dying_process_is_reported_and_replaced(tmp_path, body, expected):
    dying = """
    def relu_forward(x):
        import os, signal, sys
        print("about to die", file=sys.stderr)
        %s
    """ % body
    with student(tmp_path, layers_with("relu_forward", dying)) as process:
        reply = call(process, "relu_forward", np.ones(3))
        assert reply.status == "died" and expected in reply.message
        assert "about to die" in reply.message                 # the tail of its stderr
        assert call(process, "relu_backward", np.ones(2), np.ones(2)).ok


def test_sys_exit_is_an_exception_not_a_death(tmp_path):
    exiting = """
    def relu_forward(x):
        import sys
        sys.exit(4)
    """
    with student(tmp_path, layers_with("relu_forward", exiting)) as process:
        reply = call(process, "relu_forward", np.ones(3))
        assert reply.status == "raised" and "sys.exit(4)" in reply.message
        assert process.starts == 1


def test_a_memory_bomb_fails_its_request_only(tmp_path):
    bomb = """
    def relu_forward(x):
        return np.ones(1 << 40), None
    """
    with student(tmp_path, layers_with("relu_forward", bomb)) as process:
        reply = call(process, "relu_forward", np.ones(3), pick=0)
        assert reply.status in ("raised", "died")
        assert "MemoryError" in reply.message or "SIGKILL" in reply.message
        assert call(process, "relu_backward", np.ones(2), np.ones(2)).ok


def test_a_flood_of_output_neither_corrupts_replies_nor_is_read_whole(tmp_path):
    chatty = """
    def relu_forward(x):
        print("x" * (50 << 20))
        return np.maximum(0, x), x
    """
    with student(tmp_path, layers_with("relu_forward", chatty)) as process:
        reply = call(process, "relu_forward", np.array([-1.0, 1.0]), pick=0)
        assert reply.ok and np.array_equal(reply.result["result"], [0.0, 1.0])
        stdout, _ = process.output_tail()
        assert 0 < len(stdout) <= LIMITS.output_bytes


def test_after_a_flood_of_output_the_next_function_can_still_print(tmp_path):
    # The output file only grows: once it reached RLIMIT_FSIZE (64 MiB), any later print over
    # the 8 kB buffer failed with EFBIG, in whichever function made it.
    chatty = """
    def relu_forward(x):
        print("x" * (50 << 20))
        return np.maximum(0, x), x


    def relu_backward(dout, cache):
        print("relu_backward: dout =", "-" * 100_000)
        return dout * (cache > 0)
    """
    with student(tmp_path, layers_with("relu_forward", chatty)) as process:
        for _ in range(2):
            assert call(process, "relu_forward", np.array([-1.0, 1.0]), pick=0).ok
        reply = call(process, "relu_backward", np.ones(2), np.array([-1.0, 1.0]))
        assert reply.ok, reply.message
        assert np.array_equal(reply.result["result"], [0.0, 1.0])


def test_garbage_on_the_reply_pipe_is_a_protocol_failure(tmp_path):
    forger = """
    def relu_forward(x):
        import os, sys
        os.write(int(sys.argv[3]), b"\\xff" * 64)
        return x, None
    """
    with student(tmp_path, layers_with("relu_forward", forger)) as process:
        reply = call(process, "relu_forward", np.ones(2))
        assert reply.status == "protocol" and "unreadable reply" in reply.message
        assert call(process, "relu_backward", np.ones(2), np.ones(2)).ok


# A well-formed frame, as the runner writes it, onto every pipe the process holds but did not
# open (found through /proc/self/fd, as a student would): the grader's reply pipe among them.
FORGE = """
def _forge(message):
    import json, os, struct
    header = json.dumps({"value": message, "arrays": []}).encode()
    payload = struct.pack(">I", len(header)) + header
    for fd in os.listdir("/proc/self/fd"):
        try:
            if os.readlink("/proc/self/fd/" + fd).startswith("pipe:") and int(fd) > 2:
                os.write(int(fd), struct.pack(">Q", len(payload)) + payload)
        except OSError:
            pass
"""


def test_a_forged_frame_costs_the_request_it_arrived_in_and_never_shifts_later_replies(tmp_path):
    forger = """
    def relu_forward(x):
        _forge({"ok": True, "result": {"result": None, "args_after": [], "kwargs_after": {}}})
        return np.maximum(0, x), x
    """
    with student(tmp_path, {"layers.py": overridden("layers.py", FORGE, forger)}) as process:
        reply = call(process, "relu_forward", np.array([-1.0, 2.0]), pick=0)
        assert reply.status == "protocol" and "answers no request" in reply.message
        for value in (3.0, 4.0, 5.0):   # before ids, each got the previous request's reply
            reply = call(process, "relu_backward", np.full(2, value), np.ones(2))
            assert reply.ok and np.array_equal(reply.result["result"], [value, value])


def test_a_frame_forged_at_import_is_skipped_and_reported(tmp_path):
    files = {"layers.py": overridden("layers.py", FORGE, '_forge({"ok": True, "result": {}})')}
    with student(tmp_path, files) as process:
        assert process.import_errors == {}
        reply = call(process, "relu_forward", np.array([-1.0, 2.0]), pick=0)
        assert reply.ok and np.array_equal(reply.result["result"], [0.0, 2.0])
        assert any("reply pipe while it was imported" in note for note in process.notes)


@pytest.mark.slow
def test_a_frame_forged_at_import_costs_no_test_and_the_report_says_so(tmp_path):
    files = {"layers.py": overridden("layers.py", FORGE, '_forge({"ok": True, "result": {}})')}
    rubric = load_rubric(write_rubric(tmp_path / "rubric.toml"))
    result = grade_submission(submission(tmp_path / "sub", files), tmp_path / "out", seed=1,
                              rubric=rubric, isolation=sandbox_level())
    assert result.tests and all(t.passed for t in result.tests)   # was 0/80: a bad greeting
    assert any("reply pipe while it was imported" in m for m in result.messages)


def test_a_reply_forged_with_the_right_id_answers_for_its_own_function_only(tmp_path):
    forger = """
    def relu_forward(x):
        import sys
        frame = sys._getframe()
        while "request_id" not in frame.f_locals:   # the runner's serve() loop
            frame = frame.f_back
        _forge({"id": frame.f_locals["request_id"], "ok": True,
                "result": {"result": "forged", "args_after": [], "kwargs_after": {}}})
        return np.maximum(0, x), x
    """
    with student(tmp_path, {"layers.py": overridden("layers.py", FORGE, forger)}) as process:
        assert call(process, "relu_forward", np.ones(2), pick=0).result["result"] == "forged"
        reply = call(process, "relu_backward", np.full(2, 7.0), np.ones(2))  # the real reply
        assert reply.ok and np.array_equal(reply.result["result"], [7.0, 7.0])  # was skipped


def test_an_oversized_answer_is_refused_before_it_reaches_the_grader(tmp_path):
    huge = """
    def relu_forward(x):
        return np.ones(5 << 20), x          # 40 MiB
    def relu_backward(dout, cache):
        import os, struct
        for fd in os.listdir("/proc/self/fd"):
            try:
                if os.readlink("/proc/self/fd/" + fd).startswith("pipe:") and int(fd) > 2:
                    os.write(int(fd), struct.pack(">Q", 1 << 40))   # announces 1 TiB
            except OSError:
                pass
        return dout
    """
    with student(tmp_path, {"layers.py": overridden("layers.py", huge)}) as process:
        reply = call(process, "relu_forward", np.ones(2), pick=0)
        assert reply.status == "raised" and "40 MiB of arrays" in reply.message
        assert "at most 32 MiB" in reply.message
        reply = call(process, "relu_backward", np.ones(2), np.ones(2))
        assert reply.status == "protocol" and "over the size limit of 32 MiB" in reply.message
        assert call(process, "affine_forward", np.ones((1, 2)), np.ones((2, 1)), np.ones(1)).ok


def test_a_forked_child_does_not_outlive_the_process(tmp_path):
    marker = "grandchild-%d" % os.getpid()
    forking = """
    def relu_forward(x):
        import os, sys
        if os.fork() == 0:
            os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep(600)", "%s"])
        return np.maximum(0, x), None
    """ % marker
    with student(tmp_path, layers_with("relu_forward", forking)) as process:
        assert call(process, "relu_forward", np.ones(2), pick=0).ok
        assert wait_for(lambda: processes_with(marker), True)
    assert wait_for(lambda: processes_with(marker), False)


def test_death_is_noticed_even_when_a_forked_child_holds_the_pipe(tmp_path):
    forking = """
    def relu_forward(x):
        import os, time
        if os.fork() == 0:
            time.sleep(600)
            os._exit(0)
        os._exit(3)
    """
    with student(tmp_path, layers_with("relu_forward", forking)) as process:
        started = time.monotonic()
        reply = call(process, "relu_forward", np.ones(2), timeout=20)
        assert reply.status == "died" and "code 3" in reply.message
        assert time.monotonic() - started < 5


def processes_with(marker):
    """Whether a live process (any PID namespace) has `marker` on its command line."""
    for entry in os.listdir("/proc"):
        try:
            with open("/proc/%s/cmdline" % entry, "rb") as cmdline:
                if marker.encode() in cmdline.read():
                    with open("/proc/%s/stat" % entry) as stat:
                        if stat.read().rsplit(")", 1)[1].split()[0] != "Z":
                            return True
        except OSError:
            continue
    return False


def wait_for(condition, expected, seconds=5.0):
    deadline = time.monotonic() + seconds
    while condition() != expected and time.monotonic() < deadline:
        time.sleep(0.05)
    return condition() == expected


# --------------------------------------------------------------------------- imports


def test_an_exception_at_import_costs_that_module_only(tmp_path):
    files = {"optim.py": 'raise RuntimeError("broken on purpose")\n'}
    with student(tmp_path, files) as process:
        assert set(process.import_errors) == {"optim"}
        assert "RuntimeError: broken on purpose" in process.import_errors["optim"]
        reply = process.request({"op": "optimizer", "rule": "adam", "w": np.zeros(2),
                                 "dws": [np.ones(2)], "config": None}, timeout=10)
        assert reply.status == "raised" and "optim.py could not be imported" in reply.message
        assert call(process, "relu_forward", np.ones(2), pick=0).ok


def test_a_syntax_error_in_layers_costs_layers_and_fc_net(tmp_path):
    files = {"layers.py": solution("layers.py") + "\ndef broken(:\n"}
    with student(tmp_path, files) as process:
        assert set(process.import_errors) == {"layers", "fc_net"}
        assert "SyntaxError" in process.import_errors["layers"]
        assert process.request({"op": "optimizer", "rule": "sgd_momentum", "w": np.zeros(2),
                                "dws": [np.ones(2)], "config": None}, timeout=10).ok


def test_an_import_that_never_ends_is_cut_short_inside_the_child(tmp_path):
    files = {"layers.py": "while True:\n    pass\n"}
    with student(tmp_path, files, startup_timeout=4) as process:
        errors = process.import_errors
        assert set(errors) == {"layers", "fc_net"} and "took longer than 1 s" in errors["layers"]
        assert process.request({"op": "optimizer", "rule": "rmsprop", "w": np.zeros(2),
                                "dws": [np.ones(2)], "config": None}, timeout=10).ok


def test_a_process_that_cannot_start_is_not_retried(tmp_path):
    files = {"layers.py": "import os\nos._exit(5)\n"}
    with student(tmp_path, files) as process:
        first = call(process, "relu_forward", np.ones(2))
        second = call(process, "relu_forward", np.ones(2))
        assert first.status == second.status == "unavailable"
        assert "could not be loaded" in first.message and "code 5" in first.message
        assert process.starts == 1


def test_the_child_runs_at_the_priority_it_is_given(tmp_path):
    """Beside notebooks on several lanes the hidden tests' child runs at a lower priority
    (pipeline._hidden_tests_nice); by default at the grader's own."""
    files = layers_with("relu_forward", "def relu_forward(x):\n"
                          "    import os\n    return float(os.nice(0)), None\n")
    base = os.nice(0)
    for nice in (0, 7):
        folder = tmp_path / f"nice{nice}"
        folder.mkdir()
        with student(folder, files, nice=nice) as process:
            reply = call(process, "relu_forward", np.zeros(2), pick=0)
        assert reply.ok and reply.result["result"] == base + nice


def test_the_hidden_tests_go_beside_notebooks_at_the_lower_priority(tmp_path):
    from grader import pipeline
    from grader.notebooks.schedule import NICE_BESIDE_LONGEST
    with_notebooks = load_rubric(write_rubric(tmp_path / "a.toml", notebooks=True))
    without = load_rubric(write_rubric(tmp_path / "b.toml", notebooks=False))
    assert pipeline._hidden_tests_nice(with_notebooks, lanes=2) == NICE_BESIDE_LONGEST
    assert pipeline._hidden_tests_nice(with_notebooks, lanes=1) == 0
    assert pipeline._hidden_tests_nice(without, lanes=2) == 0
