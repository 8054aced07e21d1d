"""Authentication and identity endpoints (CONTRACT section 4)."""

from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from knox.models import AuthToken
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied, Throttled, ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services, twofactor
from accounts.auth import TokenAuthentication
from accounts.selectors import memberships_of
from accounts.throttle import LOCKOUT_MESSAGE
from core.api.throttling import AddressThrottle, WsTicketThrottle
from core.language import speak


class Credentials(serializers.Serializer):
    email = serializers.EmailField()
    password = serializers.CharField(trim_whitespace=False, max_length=512)
    otp = serializers.CharField(
        required=False,
        max_length=16,
        help_text="The authenticator app's current code: superusers, and admins and agents of "
        "a tenant that requires a second factor.",
    )


TokenOut = inline_serializer("Token", {"token": serializers.CharField()})


class TokenView(APIView):
    """POST exchanges email and password for an API token; DELETE revokes the token in use."""

    authentication_classes = [TokenAuthentication]
    throttle_classes = [AddressThrottle]

    def get_permissions(self):
        return [AllowAny()] if self.request.method == "POST" else [IsAuthenticated()]

    @extend_schema(request=Credentials, responses={200: TokenOut})
    def post(self, request):
        """Exchange email and password for an API token (valid 30 days). Repeated failures are
        locked out (429).
        """
        credentials = Credentials(data=request.data)
        credentials.is_valid(raise_exception=True)
        user = authenticate(
            request._request,
            username=credentials.validated_data["email"],
            password=credentials.validated_data["password"],
        )
        if user is None:
            if getattr(request._request, "axes_locked_out", False):
                raise Throttled(detail=LOCKOUT_MESSAGE)
            raise ValidationError({"detail": _("Wrong email or password.")})
        if twofactor.required_anywhere(user) and not twofactor.token_code_valid(
            user, credentials.validated_data.get("otp")
        ):
            raise PermissionDenied(
                _("Send the current code of your authenticator app as otp (set one up at %s).")
                % twofactor.VERIFY_PATH
            )
        _instance, token = AuthToken.objects.create(user)
        return Response({"token": token})

    @extend_schema(request=None, responses={204: None})
    def delete(self, request):
        """Revoke the token sent in the Authorization header."""
        if not isinstance(request.auth, AuthToken):
            raise ValidationError(
                {"detail": _("Send the token to revoke in the Authorization header.")}
            )
        request.auth.delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


class WsTicketView(APIView):
    throttle_classes = [WsTicketThrottle]

    @extend_schema(
        request=None,
        responses={201: inline_serializer("WsTicket", {"ticket": serializers.CharField()})},
    )
    def post(self, request):
        """A single-use ticket, valid 60 s, for opening an agent WebSocket (`?ticket=`)."""
        # A browser session that still owes its second factor gets no way around it here (a
        # token was only issued with the code).
        verified = getattr(request.user, "is_verified", None)
        if verified is not None and not verified() and twofactor.required_anywhere(request.user):
            raise PermissionDenied(twofactor.NEEDED)
        return Response({"ticket": services.ws_ticket_issue(user=request.user)}, status=201)


class MembershipOut(serializers.Serializer):
    tenant = serializers.CharField(source="tenant.slug")
    role = serializers.CharField()
    tier = serializers.SerializerMethodField()
    organization = serializers.CharField(source="organization.name", allow_null=True, default=None)

    def get_tier(self, membership) -> int | None:
        return membership.tier if membership.is_staff_member else None


class MeOut(serializers.Serializer):
    email = serializers.EmailField()
    name = serializers.CharField()
    language = serializers.CharField(
        help_text="Your own language (en, pt-br, de, es, ru), or empty: your help desk's default."
    )
    memberships = MembershipOut(many=True)


class MeIn(serializers.Serializer):
    language = serializers.CharField(allow_blank=True, max_length=16)


class MeView(APIView):
    @extend_schema(responses=MeOut)
    def get(self, request):
        """Who you are, your language and your memberships (tenant, role, tier, organization)."""
        return Response(self._me(request.user))

    @extend_schema(request=MeIn, responses=MeOut)
    def patch(self, request):
        """Set your own language (`""`: your help desk's default). The answer speaks it."""
        given = MeIn(data=request.data)
        given.is_valid(raise_exception=True)
        try:
            user = services.user_language_set(
                user=request.user, language=given.validated_data["language"]
            )
        except DjangoValidationError as error:
            raise ValidationError(error.message_dict) from None
        if user.language:
            speak(request, user.language)
        return Response(self._me(user))

    @staticmethod
    def _me(user) -> dict:
        return MeOut(
            {
                "email": user.email,
                "name": user.name,
                "language": user.language,
                "memberships": memberships_of(user),
            }
        ).data
