from io import StringIO
from pathlib import Path
from tempfile import TemporaryDirectory

from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import TestCase, override_settings


class EnsureLocalSuperuserTests(TestCase):
    def test_refuses_when_debug_is_off(self):
        with self.assertRaisesMessage(CommandError, "DEBUG is off"):
            call_command("ensure_local_superuser", stdout=StringIO())
        self.assertFalse(get_user_model().objects.exists())

    def test_creates_one_superuser_once_and_prints_the_same_login_again(self):
        with (
            TemporaryDirectory() as folder,
            override_settings(DEBUG=True, BASE_DIR=Path(folder)),
        ):
            first, second = StringIO(), StringIO()
            call_command("ensure_local_superuser", stdout=first)
            call_command("ensure_local_superuser", stdout=second)
            saved = (Path(folder) / ".local-superuser").read_text().strip()
        self.assertEqual(get_user_model().objects.filter(is_superuser=True).count(), 1)
        password = saved.rsplit(" ", 1)[1]
        self.assertIn(password, first.getvalue())
        self.assertIn(saved, second.getvalue())
        self.assertTrue(get_user_model().objects.get().check_password(password))
