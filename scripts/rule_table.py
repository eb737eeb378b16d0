#!/usr/bin/python3
"""Prints the README's rule catalogue table from `ckpt validate --list-rules --json`
(the catalogue in validate/src/rule_catalogue.cpp is the single source).
Usage: build/cli/ckpt validate --list-rules --json | scripts/rule_table.py"""
import json
import sys

rules = json.load(sys.stdin)["rules"]
print("| id | severity | scan | what it checks | why it matters |")
print("|---|---|---|---|---|")
for r in rules:
    esc = lambda s: s.replace("|", "\\|")
    print(f"| `{r['id']}` | {r['severity']} | {'scan' if r['needs_scan'] else ''} | {esc(r['what'])} | {esc(r['why'])} |")
