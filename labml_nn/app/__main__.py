"""
---
title: python -m labml_nn.app
summary: Entry point that starts the local labml app server.
---

# `python -m labml_nn.app`

Python runs this file for `python -m labml_nn.app`; the work is in [`server.py`](server.html).
"""
from labml_nn.app.server import main

if __name__ == '__main__':
    main()
