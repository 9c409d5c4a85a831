"""Pinpoint's channels: which block of a MessageConfiguration each one reads, and what reaches it.

Every rule here is AWS's (``pinpoint/FACTS.md``) or, where AWS is silent, the reading that
keeps a preview from showing text a user might not get; render, send, review and the
sandbox all import it from here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

# The block channels, in the order previews and lint list them.
CHANNELS: Final = ("SMS", "APNS", "GCM", "ADM", "BAIDU", "EMAIL", "VOICE")
PUSH_CHANNELS: Final = frozenset({"APNS", "GCM", "ADM", "BAIDU"})
CHANNEL_BLOCKS: Final = {
    "SMS": "SMSMessage",
    "APNS": "APNSMessage",
    "GCM": "GCMMessage",
    "ADM": "ADMMessage",
    "BAIDU": "BaiduMessage",
    "EMAIL": "EmailMessage",
    "VOICE": "VoiceMessage",
}
DEFAULT_PUSH_BLOCK: Final = "DefaultPushNotificationMessage"
DEFAULT_BLOCK: Final = "DefaultMessage"

# Endpoint (and address) channel types, and the block channel each reads: the APNS variants
# all read APNSMessage.
ENDPOINT_CHANNELS: Final = {
    **{channel: channel for channel in CHANNELS},
    "APNS_SANDBOX": "APNS",
    "APNS_VOIP": "APNS",
    "APNS_VOIP_SANDBOX": "APNS",
}

# AWS documents BodyOverride and TitleOverride for ADM, APNS (all variants), BAIDU, GCM and
# SMS: EMAIL and VOICE keep their block's text.
OVERRIDDEN_CHANNELS: Final = PUSH_CHANNELS | {"SMS"}
# Channels whose message has a title (an email's is its subject); SMS and VOICE have none.
TITLED_CHANNELS: Final = PUSH_CHANNELS | {"EMAIL"}


def block_for(message_configuration: Mapping[str, Any], channel: str) -> str | None:
    """The name of the block that supplies ``channel``'s message, or None if none does.

    A channel's own block wins; a push channel then takes ``DefaultPushNotificationMessage``;
    any channel then takes ``DefaultMessage``, which AWS calls "the default message for all
    channels", so it reaches push channels when there is no push default, and EMAIL and
    VOICE too. A block present as ``None`` counts as absent.
    """
    own = CHANNEL_BLOCKS[channel]
    if message_configuration.get(own) is not None:
        return own
    if channel in PUSH_CHANNELS and message_configuration.get(DEFAULT_PUSH_BLOCK) is not None:
        return DEFAULT_PUSH_BLOCK
    if message_configuration.get(DEFAULT_BLOCK) is not None:
        return DEFAULT_BLOCK
    return None


def channels_of(message_configuration: Mapping[str, Any]) -> list[str]:
    """The channel types a ``MessageConfiguration`` reaches, in ``CHANNELS`` order."""
    return [c for c in CHANNELS if block_for(message_configuration, c) is not None]
