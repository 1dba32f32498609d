"""Citations: which documents answered which question (``interaction_citations``).

``services``: the rows written with an interaction, and their link to documents
found later; ``selectors``: the citations shown with the history, a document's
counts and citing interactions, the citation analytics; ``apis``: the
document-facing endpoints.
"""
