"""Reading the files conveners actually have: any CSV dialect, hostile XLSX, and the
Sortition Foundation's features/people pair."""
