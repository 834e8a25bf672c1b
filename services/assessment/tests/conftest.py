"""The fast tests import the fake unit of work as ``assessment_fakes``: every service keeps a ``fakes.py`` in
its tests, and under ``--import-mode=importlib`` nothing puts this folder on the path, so it is registered
here under a name no other service's tests use."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

if "assessment_fakes" not in sys.modules:
    _spec = importlib.util.spec_from_file_location("assessment_fakes", Path(__file__).with_name("fakes.py"))
    _module = importlib.util.module_from_spec(_spec)
    sys.modules["assessment_fakes"] = _module
    _spec.loader.exec_module(_module)
