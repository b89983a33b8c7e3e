"""Reading and validating the shop's CSV files."""
