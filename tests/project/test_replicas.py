"""Public reads from read replicas, staff and writes on the primary, read-your-writes
after a save, and the primary when a replica is away (grants/project/replicas.py)."""

from unittest import mock

from django.db import DEFAULT_DB_ALIAS, OperationalError, router
from django.http import HttpResponse
from django.test import (
    RequestFactory,
    SimpleTestCase,
    TransactionTestCase,
    override_settings,
)
from django.urls import ResolverMatch

from grants.models import Agreement
from grants.project import replicas
from grants.project.replicas import (
    PIN_COOKIE,
    ReadReplicaMiddleware,
    ReplicaFallbackMiddleware,
    ReplicaRouter,
)
from tests.factories import make_agreement


def reads_of(request):
    """The database a view behind the middleware reads, as its response's text."""

    def view(request):
        return HttpResponse(router.db_for_read(Agreement) or DEFAULT_DB_ALIAS)

    return ReadReplicaMiddleware(view)(request)


@override_settings(DATABASE_REPLICAS=["replica1"], DATABASE_REPLICA_PIN_SECONDS=15)
@mock.patch("grants.project.replicas.replica_answers", return_value=True)
class ReplicaRouterTests(SimpleTestCase):
    def setUp(self):
        self.factory = RequestFactory()
        replicas._resting_until.clear()

    def test_an_anonymous_read_goes_to_the_replica(self, answers):
        response = reads_of(self.factory.get("/agreements/"))
        self.assertEqual(response.content, b"replica1")
        self.assertEqual(response["X-Read-Database"], "replica1")

    def test_a_signed_in_session_reads_the_primary(self, answers):
        request = self.factory.get("/agreements/")
        request.COOKIES["sessionid"] = "abc"
        self.assertEqual(reads_of(request).content, b"default")

    def test_a_write_pins_the_client_to_the_primary_for_a_while(self, answers):
        response = reads_of(self.factory.post("/admin/grants/agreement/1/change/"))
        self.assertEqual(response.content, b"default")
        self.assertEqual(response.cookies[PIN_COOKIE]["max-age"], 15)
        after = self.factory.get("/agreements/")
        after.COOKIES[PIN_COOKIE] = response.cookies[PIN_COOKIE].value
        response = reads_of(after)
        self.assertEqual(response.content, b"default")
        self.assertEqual(response["X-Read-Database"], "primary")

    def test_reads_outside_a_request_and_every_write_use_the_primary(self, answers):
        self.assertEqual(router.db_for_read(Agreement), DEFAULT_DB_ALIAS)
        self.assertEqual(router.db_for_write(Agreement), DEFAULT_DB_ALIAS)
        self.assertIs(ReplicaRouter().allow_migrate("replica1", "grants"), False)
        self.assertIsNone(ReplicaRouter().allow_migrate("default", "grants"))

    def test_a_replica_that_does_not_answer_is_left_alone_for_a_while(self, answers):
        def refuse(alias):
            replicas.rest(alias, OperationalError("connection refused"))
            return False

        answers.side_effect = refuse
        with self.assertLogs("grants.project.replicas", "WARNING"):
            self.assertEqual(reads_of(self.factory.get("/")).content, b"default")
        self.assertEqual(reads_of(self.factory.get("/")).content, b"default")
        self.assertEqual(answers.call_count, 1)

    @override_settings(DATABASE_REPLICAS=[])
    def test_without_replicas_nothing_changes(self, answers):
        response = reads_of(self.factory.get("/agreements/"))
        self.assertEqual(response.content, b"default")
        self.assertNotIn("X-Read-Database", response)


@override_settings(DATABASE_REPLICAS=["replica1"])
class ReplicaFallbackTests(SimpleTestCase):
    def setUp(self):
        replicas._resting_until.clear()

    def test_a_replica_failing_mid_request_gets_the_request_again_on_the_primary(
        self,
    ):
        def view(request):
            if router.db_for_read(Agreement) == "replica1":
                raise OperationalError("the replica went away")
            return HttpResponse("from the primary")

        def stack(request):
            request.resolver_match = ResolverMatch(view, (), {})
            try:
                return view(request)
            except OperationalError as error:
                return ReplicaFallbackMiddleware(view).process_exception(request, error)

        with (
            mock.patch("grants.project.replicas.replica_answers", return_value=True),
            self.assertLogs("grants.project.replicas", "WARNING"),
        ):
            response = ReadReplicaMiddleware(stack)(RequestFactory().get("/"))
        self.assertEqual(response.content, b"from the primary")
        self.assertEqual(response["X-Read-Database"], "primary")


@override_settings(DATABASE_REPLICAS=["replica1"])
class ReplicaPagesTests(TransactionTestCase):
    """Through the whole stack, with the mirror of the test database as replica."""

    databases = {"default", "replica1"}

    def setUp(self):
        replicas._resting_until.clear()
        self.agreement = make_agreement(title="Replicated agreement")

    def test_a_public_page_is_read_from_the_replica(self):
        response = self.client.get("/agreements/")
        self.assertEqual(response["X-Read-Database"], "replica1")
        self.assertContains(response, "Replicated agreement")

    def test_a_stopped_replica_means_the_primary_not_an_error(self):
        with (
            mock.patch.object(
                replicas.connections["replica1"],
                "ensure_connection",
                side_effect=OperationalError("connection refused"),
            ),
            self.assertLogs("grants.project.replicas", "WARNING"),
        ):
            response = self.client.get(self.agreement.get_absolute_url())
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["X-Read-Database"], "primary")
        self.assertContains(response, "Replicated agreement")
