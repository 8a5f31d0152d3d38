"""Bounded notebook outputs: what grader/notebooks/execute.py keeps of what a cell prints or displays.

`BoundedNotebookClient` is nbclient's NotebookClient storing output as it arrives within fixed
caps, so a huge print costs neither the grader's memory nor the report's size: per stream and
cell the first and last STREAM_KEEP_CHARS characters (the middle becomes a note of how much was
omitted), rich values cut or dropped past TEXT_KEEP_CHARS / IMAGE_KEEP_CHARS, at most
RICH_OUTPUTS_PER_CELL rich outputs per cell and RICH_BUDGET_CHARS per notebook. No widget (comm)
state is kept at all.
"""
from __future__ import annotations

import nbformat
from nbclient import NotebookClient

from grader.notebooks.files import cut_middle

STREAM_KEEP_CHARS = 10_000      # per stream (stdout/stderr) per cell: first and last this many
TEXT_KEEP_CHARS = 20_000        # a rich text value (text/plain, text/html, ...) longer is cut
IMAGE_KEEP_CHARS = 2_000_000    # a base64 image longer than this is dropped
RICH_OUTPUTS_PER_CELL = 50      # display_data / execute_result outputs kept per cell
RICH_BUDGET_CHARS = 20_000_000  # rich output kept per notebook, all cells together
MALFORMED = (nbformat.ValidationError, TypeError, KeyError, AttributeError, ValueError)


class _StreamTail:
    """What is kept of one stream in one cell once its first STREAM_KEEP_CHARS are stored."""

    def __init__(self):
        self.head = 0          # characters stored in the cell's outputs
        self.chunks: list[str] = []
        self.tail_len = 0
        self.omitted = 0

    def add_tail(self, text: str) -> None:
        self.chunks.append(text)
        self.tail_len += len(text)
        if self.tail_len > 2 * STREAM_KEEP_CHARS:
            joined = "".join(self.chunks)
            self.omitted += len(joined) - STREAM_KEEP_CHARS
            self.chunks, self.tail_len = [joined[-STREAM_KEEP_CHARS:]], STREAM_KEEP_CHARS

    def finish(self) -> str:
        joined = "".join(self.chunks)
        omitted = self.omitted + max(0, len(joined) - STREAM_KEEP_CHARS)
        tail = joined[-STREAM_KEEP_CHARS:]
        note = f"\n[... {omitted:,} characters omitted by the grader ...]\n" if omitted else ""
        return note + tail


class BoundedNotebookClient(NotebookClient):
    """nbclient's NotebookClient keeping a bounded amount of output while it arrives, so a huge
    print costs neither the grader's memory nor the report's size."""

    def __init__(self, nb, km=None, **kw):
        # Widget state would be kept for every comm message, without a bound (1,500 messages
        # of 1 MiB held 3 GiB), and nbclient's Output-widget mimic stores captured output past
        # the caps below. The assignment uses no widgets: keep no comm state at all (output a
        # widget would have captured lands in its cell, bounded like any other).
        super().__init__(nb, km=km, **{**kw, "store_widget_state": False})
        self.comm_open_handlers = {}
        self._streams: dict[tuple[int, str], _StreamTail] = {}
        self._rich: dict[int, int] = {}        # cell index -> rich outputs kept
        self._rich_omitted: dict[int, int] = {}
        self._rich_budget = RICH_BUDGET_CHARS
        self._malformed_cells: set[int] = set()

    def _reset_cell(self, cell_index: int) -> None:
        for key in [k for k in self._streams if k[0] == cell_index]:
            del self._streams[key]
        self._rich.pop(cell_index, None)
        self._rich_omitted.pop(cell_index, None)

    # A message from the kernel that the notebook format does not accept (a display of
    # {"text/plain": 5}, content that is no dict) comes from the student's cell: it is left
    # out, and the cell gets an error saying so, instead of the run failing on the grader's
    # side. Once per cell: a loop of them adds one error.

    def clear_output(self, outs, msg, cell_index):
        try:
            if not msg["content"].get("wait"):
                self._reset_cell(cell_index)
            return super().clear_output(outs, msg, cell_index)
        except MALFORMED as exc:
            self._malformed(outs, msg, cell_index, exc)
            return None

    def output(self, outs, msg, display_id, cell_index):
        try:
            return self._bounded_output(outs, msg, display_id, cell_index)
        except MALFORMED as exc:
            self._malformed(outs, msg, cell_index, exc)
            return None

    def _malformed(self, outs, msg, cell_index: int, exc: Exception) -> None:
        if cell_index in self._malformed_cells:
            return
        self._malformed_cells.add(cell_index)
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        outs.append(nbformat.v4.new_output(
            "error", ename="InvalidOutput", traceback=[],
            evalue=f"this cell sent a {str(msg.get('msg_type'))[:40]} message that is not a "
                   f"valid notebook output ({cut_middle(reason, 200)}); the grader left it out"))

    def _bounded_output(self, outs, msg, display_id, cell_index):
        if self.clear_before_next_output:
            self._reset_cell(cell_index)
        msg_type, content = msg["msg_type"], msg["content"]
        if msg_type == "stream":
            state = self._streams.setdefault((cell_index, content.get("name", "stdout")),
                                             _StreamTail())
            text = content.get("text", "")
            room = max(0, STREAM_KEEP_CHARS - state.head) if not state.chunks else 0
            if len(text) > room:
                state.add_tail(text[room:])
                if not room:
                    return None
                msg = {**msg, "content": {**content, "text": text[:room]}}
            state.head += min(len(text), room)
            return super().output(outs, msg, display_id, cell_index)
        if msg_type in ("display_data", "execute_result"):
            kept = self._rich.get(cell_index, 0)
            data = _bound_data(content.get("data", {}))
            size = sum(len(v) if isinstance(v, str) else 1000 for v in data.values())
            if kept >= RICH_OUTPUTS_PER_CELL or size > self._rich_budget:
                self._rich_omitted[cell_index] = self._rich_omitted.get(cell_index, 0) + 1
                return None
            self._rich[cell_index] = kept + 1
            self._rich_budget -= size
            msg = {**msg, "content": {**content, "data": data}}
        elif msg_type == "error":
            msg = {**msg, "content": {**content,
                                      "evalue": cut_middle(str(content.get("evalue", "")), 2000),
                                      "traceback": [cut_middle(str(line), 5000) for line in
                                                    content.get("traceback", [])[-50:]]}}
        return super().output(outs, msg, display_id, cell_index)

    def _update_display_id(self, display_id, msg):
        try:
            content = {**msg["content"], "data": _bound_data(msg["content"].get("data", {}))}
            return super()._update_display_id(display_id, {**msg, "content": content})
        except MALFORMED:
            return None   # an update of an earlier output, whose cell is not known here

    def finish_cell(self, cell, cell_index: int) -> None:
        """Append what was held back (stream tails, counts of dropped outputs) to the cell."""
        for (index, name), state in list(self._streams.items()):
            if index == cell_index and state.chunks:
                append_stream(cell, name, state.finish())
        if self._rich_omitted.get(cell_index):
            append_stream(cell, "stderr", f"[... {self._rich_omitted[cell_index]} more outputs "
                                           "omitted by the grader ...]\n")
        self._reset_cell(cell_index)


def _bound_data(data: dict) -> dict:
    bounded = {}
    for mime, value in data.items():
        if not isinstance(value, str) or mime.startswith("text/plain") or len(value) <= TEXT_KEEP_CHARS:
            bounded[mime] = cut_middle(value, TEXT_KEEP_CHARS) if isinstance(value, str) else value
        elif mime.startswith("image/") and len(value) <= IMAGE_KEEP_CHARS:
            bounded[mime] = value
        # anything else too large (HTML, big images) is dropped: half an HTML page breaks rendering
    if not bounded:
        bounded["text/plain"] = "[output too large, omitted by the grader]"
    return bounded


def append_stream(cell, name: str, text: str) -> None:
    if cell.outputs and cell.outputs[-1].get("output_type") == "stream" \
            and cell.outputs[-1].get("name") == name:
        cell.outputs[-1]["text"] += text
    else:
        cell.outputs.append(nbformat.v4.new_output("stream", name=name, text=text))
