"""`apismith review`: run the rules over a project and decide what to report."""
