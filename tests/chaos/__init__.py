"""The chaos run in the suite: the harness of bench/chaos.py, small."""
