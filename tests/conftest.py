"""Fixtures shared by the whole suite."""
import formencode.api

# FormEncode follows the process locale; the suite asserts English messages.
formencode.api.set_stdtranslation(languages=["en"])
