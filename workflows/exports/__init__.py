"""Files for people outside the app: the province's report (Excel, Word), lists as Excel and CSV."""
