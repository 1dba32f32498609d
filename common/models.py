"""No models: the module exists so that ``post_migrate`` is sent for this app."""
