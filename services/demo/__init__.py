"""The demo township (南川乡): built and walked through the process on a simulated clock.

township.py runs the simulation, resolutions.py its stories under cpc_2014@2, materials.py the
files a secretary and the township put on record as the steps are done, accounts.py the web
accounts to log in with."""
from services.demo.accounts import DEMO_PASSWORD, create_demo_accounts, demo_actor
from services.demo.township import END, build_township, run_demo

__all__ = ["DEMO_PASSWORD", "END", "build_township", "create_demo_accounts", "demo_actor", "run_demo"]
