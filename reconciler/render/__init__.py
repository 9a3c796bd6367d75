"""Views of plans and apply results: text, JSON and Markdown. They compute nothing."""
