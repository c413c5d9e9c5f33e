"""Exports every service writes the same way (ADR 0081): PDF with DejaVu Sans for Polish letters
and one font setting (`shared.exports.fonts`, `shared.exports.pdf`, the tagged PDF for screen
readers among them), CSV for Polish spreadsheets (`shared.exports.csv`) and XLSX
(`shared.exports.xlsx`). Needs the `exports` extra (fpdf2, openpyxl): `shared[exports]`.
"""
