"""A registry of named entries (reports, API endpoints) that each app declares in a
module of its own, so grants never imports indicators: the first read imports that
module of every installed app (`autodiscover_modules`)."""

from importlib import import_module

from django.utils.module_loading import autodiscover_modules


class Registry:
    def __init__(self, module_name: str, *first: str):
        """`module_name` is looked for in every app; `first` are modules imported
        before them, whose entries come first."""
        self.module_name = module_name
        self.first = first
        self.entries = {}
        self.discovered = False

    def register(self, entry):
        self.entries[entry.name] = entry
        return entry

    def all(self) -> list:
        """Every registered entry, in the order the apps register them."""
        if not self.discovered:
            for module in self.first:
                import_module(module)
            autodiscover_modules(self.module_name)
            self.discovered = True
        return list(self.entries.values())
