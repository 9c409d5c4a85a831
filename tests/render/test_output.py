"""write_requests: JSON Lines written all or nothing, to a file, stdout, a pipe or a device."""

import contextlib
import hashlib
import json
import os
import stat
import threading
from pathlib import Path

import pytest

from pipeline.api import encode_request, encoded
from pipeline.errors import InputError, RequestError, StorageError, TemplateError
from pipeline.render.output import write_requests
from tests.send.support import make_requests, user_ids

REQUESTS = make_requests(user_ids(25), per_request=10)
EXPECTED = "".join(encode_request(request) + "\n" for request in REQUESTS)


def failing_after(count):
    """Requests that fail part-way, as a render does when a later user is broken."""
    yield from REQUESTS[:count]
    raise TemplateError("undefined value", user_id="u-0021")


def leftovers(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir() if path.name.endswith(".tmp"))


def test_a_file_gets_one_request_per_line_and_the_summary_its_bytes(tmp_path):
    target = tmp_path / "out.jsonl"
    target.write_text("an earlier render\n")

    summary = write_requests(iter(REQUESTS), target)

    assert target.read_text(encoding="utf-8") == EXPECTED
    assert (summary.requests, summary.users) == (3, 25)
    assert summary.sha256 == hashlib.sha256(target.read_bytes()).hexdigest()
    assert leftovers(tmp_path) == []


def test_a_failed_render_leaves_the_file_as_it_was_and_no_temporary_file(tmp_path):
    target = tmp_path / "out.jsonl"
    target.write_text("an earlier render\n")

    with pytest.raises(TemplateError):
        write_requests(failing_after(2), target)

    assert target.read_text() == "an earlier render\n"
    assert leftovers(tmp_path) == []


def test_a_missing_output_folder_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match=r"the output folder .*nowhere does not exist"):
        write_requests(iter(REQUESTS), tmp_path / "nowhere" / "out.jsonl")
    assert not (tmp_path / "nowhere").exists()


def test_stdout_gets_everything_or_nothing(capfdbinary):
    summary = write_requests(iter(REQUESTS), None)
    assert capfdbinary.readouterr().out.decode() == EXPECTED
    assert summary.users == 25

    with pytest.raises(TemplateError):
        write_requests(failing_after(2), None)
    assert capfdbinary.readouterr().out == b""


def test_a_device_is_written_into_not_replaced():
    devnull = Path(os.devnull)
    summary = write_requests(iter(REQUESTS), devnull)
    assert (summary.requests, summary.users) == (3, 25)
    assert stat.S_ISCHR(devnull.stat().st_mode)


def test_a_pipe_gets_nothing_from_a_failed_render(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received = []
    # Opening a FIFO blocks until both ends are open: the reader meets the writer.
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    try:
        with pytest.raises(TemplateError):
            write_requests(failing_after(2), fifo)
    finally:
        # Were the pipe never opened for writing, this lets the reader go (it reads nothing).
        with contextlib.suppress(OSError):
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        reader.join()
    assert received == [b""]
    assert stat.S_ISFIFO(fifo.stat().st_mode)


def test_the_summary_of_send_messages_requests_counts_addresses_and_users_without(tmp_path):
    from pipeline.render.address_batch import AddressedRequest, Unaddressed

    request = {
        "ApplicationId": "a",
        "MessageRequest": {
            "MessageConfiguration": {"SMSMessage": {"Body": "hi"}},
            "Addresses": {"+1": {"ChannelType": "SMS"}, "+2": {"ChannelType": "SMS"}},
        },
    }
    items = [
        AddressedRequest(request, {"+1": "ana", "+2": "ana"}),
        Unaddressed(("bo", "cy")),
        AddressedRequest(request, {"+1": "dee", "+2": "eve"}),
    ]
    target = tmp_path / "out.jsonl"
    summary = write_requests(iter(items), target)
    assert (summary.requests, summary.addresses, summary.users) == (2, 4, 3)
    assert summary.unaddressed == 2
    assert target.read_text() == (encode_request(request) + "\n") * 2


def test_a_full_disk_is_a_storage_error_not_a_traceback():
    # /dev/full answers every write with ENOSPC, as a full disk does.
    with pytest.raises(StorageError, match=r"/dev/full: cannot write the output: No space left") as caught:
        write_requests(iter(REQUESTS), Path("/dev/full"))
    assert caught.value.exit_code == 3


def test_a_folder_that_cannot_be_written_is_a_storage_error(tmp_path, monkeypatch):
    def refused(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("tempfile.mkstemp", refused)
    with pytest.raises(StorageError, match="cannot write the output: Permission denied") as caught:
        write_requests(iter(REQUESTS), tmp_path / "out.jsonl")
    assert "fix the folder's permissions" in str(caught.value)
    assert list(tmp_path.iterdir()) == []


def test_a_lone_surrogate_in_a_request_is_named_and_nothing_is_written(tmp_path):
    broken = make_requests(["u-1", "u-2"], per_request=10)
    broken[0]["SendUsersMessageRequest"]["Users"]["u-2"]["BodyOverride"] = "x\ud800"
    target = tmp_path / "out.jsonl"
    with pytest.raises(RequestError, match=r"a lone surrogate \(U\+D800\) in the rendered request \(user 'u-2'\)"):
        write_requests(iter(broken), target)
    assert list(tmp_path.iterdir()) == []


def test_a_lone_surrogate_in_an_encoded_request_is_named_too(tmp_path):
    # A parallel render hands over requests as bytes, a lone surrogate as surrogatepass
    # writes it; the writer still names its user and writes nothing.
    broken = make_requests(["u-1", "u-2"], per_request=10)
    broken[0]["SendUsersMessageRequest"]["Users"]["u-2"]["BodyOverride"] = "x\ud800"
    target = tmp_path / "out.jsonl"
    with pytest.raises(RequestError, match=r"U\+D800\) in the rendered request \(user 'u-2'\)"):
        write_requests(map(encoded, broken), target)
    assert list(tmp_path.iterdir()) == []


def test_hangul_shares_the_surrogates_lead_byte_and_is_written(tmp_path):
    requests = make_requests(["u-1"], per_request=10)
    requests[0]["SendUsersMessageRequest"]["Users"]["u-1"]["BodyOverride"] = "안녕 힣"  # U+D7A3
    target = tmp_path / "out.jsonl"
    summary = write_requests(map(encoded, requests), target)
    assert json.loads(target.read_bytes()) == requests[0]
    assert summary.sha256 == hashlib.sha256(target.read_bytes()).hexdigest()
