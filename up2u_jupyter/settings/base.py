"""The base of every config object, apart so that topic modules (``classes``) can share it."""

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class Model(BaseModel):
    """Base for every config object: camelCase keys, unknown keys rejected, frozen."""

    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, frozen=True)
