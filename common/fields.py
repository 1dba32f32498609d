"""DRF serializer fields shared by the apps."""

from django.core.exceptions import ValidationError
from rest_framework import serializers

from common.phones import phone_normalize


class PhoneNumberField(serializers.CharField):
    """A phone number in any common notation, returned as E.164 (``+919876543210``)."""

    default_error_messages = {"invalid_phone": "Enter a valid phone number, e.g. +919876543210."}

    def to_internal_value(self, data):
        text = super().to_internal_value(data)
        try:
            return phone_normalize(text)
        except ValidationError:
            self.fail("invalid_phone")
