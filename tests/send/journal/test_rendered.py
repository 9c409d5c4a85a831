"""How rendered items are stored: kind, users, body, recipients, and what counts as content."""

import json

from pipeline.api import encode_request
from pipeline.render.address_batch import Unaddressed
from pipeline.send.journal.rendered import recipients_of, stored, unaddressed_results
from tests.send.support import make_addressed, make_requests, user_ids


def test_a_users_request_names_its_users_in_its_body():
    [request] = make_requests(user_ids(3), per_request=3)
    row = stored(request)
    assert (row.kind, row.users, row.recipients, row.content) == ("users", 3, None, True)
    assert row.body == encode_request(request)
    assert recipients_of(row.kind, row.body, row.recipients) == (tuple(user_ids(3)), ())


def test_an_addresses_request_keeps_the_owner_of_each_address():
    [item] = make_addressed(user_ids(2), per_user=2)
    row = stored(item)
    assert (row.kind, row.users, row.content) == ("addresses", 2, True)
    assert row.body == encode_request(item.request)
    assert json.loads(row.recipients) == item.owners
    users, addresses = recipients_of(row.kind, row.body, row.recipients)
    assert users == ("u-0000", "u-0000", "u-0001", "u-0001")
    assert addresses == tuple(item.owners)


def test_users_without_addresses_are_stored_apart_from_the_content_and_failed():
    row = stored(Unaddressed(("ana", "bo")))
    assert (row.kind, row.users, row.recipients, row.content) == ("unaddressed", 2, None, False)
    assert recipients_of(row.kind, row.body, row.recipients) == (("ana", "bo"), ("", ""))
    assert unaddressed_results(row.body) == [
        ("ana", "", "PERMANENT_FAILURE", None, None, "No addresses for this user in the audience."),
        ("bo", "", "PERMANENT_FAILURE", None, None, "No addresses for this user in the audience."),
    ]
