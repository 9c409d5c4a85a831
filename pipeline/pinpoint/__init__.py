"""What Amazon Pinpoint does: limits, statuses, channel rules, delivery emulation, SMS."""
