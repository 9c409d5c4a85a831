"""Sending: runs, the journal, concurrent dispatch through boto3, retries and results."""
