"""Reading a directive's text into a proposal: its header, tasks, units and deadlines.

Pure rules over a folded text and the unit registry; nothing is saved and nothing is fetched.
`proposal.propose_document` is the whole path; the other modules are its steps: `header`
(number, kind, issuer, date, subject, where the body lies), `outline` (items into tasks),
`units` (names, codes, aliases, abbreviations, groups), `parties` (lead or coordinating),
`deadlines` (Vietnamese deadline phrases) and `tables` (task rows of a spreadsheet or table).
"""
