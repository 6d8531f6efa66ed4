from app.core.errors import AppError, NotFound


class CatalogNotFound(NotFound):
    title = "Catalog not found"


class PromptNotFound(NotFound):
    title = "Prompt not found"


class CatalogReadOnly(AppError):
    status = 403
    code = "catalog_read_only"
    title = "Built-in catalogs are read-only"


class PromptSlugExists(AppError):
    status = 409
    code = "prompt_slug_exists"
    title = "A prompt with this slug exists in the catalog"


class ContentError(Exception):
    """A content file that cannot be loaded; names the file, the prompt and the field."""

    def __init__(
        self, file: str, message: str, *, prompt: str | None = None, field: str | None = None
    ) -> None:
        where = file
        if prompt:
            where += f", prompt {prompt}"
        if field:
            where += f", field {field}"
        super().__init__(f"{where}: {message}")
        self.file = file
        self.prompt = prompt
        self.field = field
