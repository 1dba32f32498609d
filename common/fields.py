"""DRF serializer fields shared by the apps."""

from django.core.exceptions import ValidationError
from rest_framework import serializers

from common.phones import phone_normalize


class PhoneNumberField(serializers.CharField):
    """A phone number in any common notation, returned as E.164 (``+919876543210``)."""

    default_error_messages = {
        "invalid_phone": "Enter a valid phone number, e.g. +919876543210.",
        "not_a_string": "A phone number must be a JSON string (a number loses its + and zeros).",
    }

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("not_a_string")
        text = super().to_internal_value(data)
        try:
            return phone_normalize(text)
        except ValidationError:
            self.fail("invalid_phone")
