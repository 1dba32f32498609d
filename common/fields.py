"""DRF serializer fields shared by the apps."""

from typing import Any

from django.core.exceptions import ValidationError
from rest_framework import serializers

from common.phones import phone_normalize


class PhoneNumberField(serializers.CharField):
    """A phone number in any common notation, returned as E.164 (``+919876543210``)."""

    default_error_messages = {
        "invalid_phone": "Enter a valid phone number, e.g. +919876543210.",
        "not_a_string": "A phone number must be a JSON string (a number loses its + and zeros).",
    }

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("not_a_string")
        text = super().to_internal_value(data)
        try:
            return phone_normalize(text)
        except ValidationError:
            self.fail("invalid_phone")


class TextIdField(serializers.CharField):
    """An id kept as text (``customer_id`` is never cast to a number).

    Accepts a JSON string, or a JSON integer written as its decimal digits
    (``103`` → ``"103"``). Floats (``103.0``, ``1e20``) and booleans are refused:
    their text form is not the id the caller meant."""

    default_error_messages = {
        "not_text": 'Send the id as a JSON string (or an integer), e.g. "103".',
    }

    def to_internal_value(self, data: Any) -> str:
        if isinstance(data, bool) or not isinstance(data, str | int):
            self.fail("not_text")
        return super().to_internal_value(str(data))
