"""`shoprec bench`: build scaled catalogues, load the real HTTP service, measure, report."""
