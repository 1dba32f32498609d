"""HTTP endpoints of the usage app (``views``) and their shapes (``serializers``)."""
