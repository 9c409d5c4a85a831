"""An email's HTML part reaches the reader with its placeholders filled, like the body."""

from pipeline.pinpoint.delivery import deliver


def request(email, config):
    return {"MessageConfiguration": {"EmailMessage": email}, "Users": {"u1": config}}


def test_the_html_part_is_filled_from_the_users_then_the_blocks_values():
    email = {
        "SimpleEmail": {
            "Subject": {"Data": "Hi {{Name}}"},
            "TextPart": {"Data": "Hi {{Name}} from {{Shop}}"},
            "HtmlPart": {"Data": "<p>Hi <b>{{Name}}</b> from {{Shop}}</p>"},
        },
        "Substitutions": {"Shop": ["Example Shop"], "Name": ["block name"]},
    }
    delivered = deliver(request(email, {"Substitutions": {"Name": ["Ana"]}}), "u1", "EMAIL")
    assert delivered.title == "Hi Ana"
    assert delivered.body == "Hi Ana from Example Shop"
    assert delivered.html == "<p>Hi <b>Ana</b> from Example Shop</p>"


def test_no_html_part_no_html():
    email = {"SimpleEmail": {"Subject": {"Data": "s"}, "TextPart": {"Data": "text"}}}
    assert deliver(request(email, {}), "u1", "EMAIL").html is None


def test_other_channels_have_no_html():
    configuration = {"SMSMessage": {"Body": "hello"}}
    sms = deliver({"MessageConfiguration": configuration, "Users": {"u1": {}}}, "u1", "SMS")
    assert sms.html is None
