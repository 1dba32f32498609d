"""Phone numbers in E.164 (ITU-T E.164), parsed with Google's libphonenumber port."""

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError


def phone_normalize(raw: str, *, region: str | None = None) -> str:
    """Return ``raw`` as an E.164 string such as ``+919876543210``.

    ``raw`` may carry spaces, dashes or brackets (``+91-98765 43210``); a number
    without a ``+`` country code is read in ``region`` (default: the
    ``PHONE_DEFAULT_REGION`` setting, ``IN``).

    Raises: django ValidationError (code ``invalid_phone``) when the text is not
    a valid number for its country.
    """
    region = region or settings.PHONE_DEFAULT_REGION
    if not isinstance(raw, str) or not raw.strip() or len(raw) > 64:
        raise ValidationError("Enter a phone number.", code="invalid_phone")
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(f"Not a phone number: {exc}", code="invalid_phone") from exc
    if not phonenumbers.is_valid_number(number):
        raise ValidationError("Not a valid phone number for its country.", code="invalid_phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
