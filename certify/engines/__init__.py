"""Search engines (untrusted): each returns per-ball verdicts; see certify/ball.py."""
