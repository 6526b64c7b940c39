"""Workforce API shapes (read-only)."""

from __future__ import annotations

from rest_framework import serializers

from grassroots.territory.api.serializers import RegionRefSerializer

from ..models import Assignment, AssignmentKind, Officer, Post, Unit


class UnitRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Unit
        fields = ["id", "code", "name"]
        read_only_fields = fields


class UnitSerializer(serializers.ModelSerializer):
    parent = UnitRefSerializer(read_only=True, allow_null=True)
    region = RegionRefSerializer(read_only=True, allow_null=True, help_text="Jurisdiction.")

    class Meta:
        model = Unit
        fields = ["id", "code", "name", "kind", "parent", "path", "region", "is_active"]
        read_only_fields = fields


class PostSerializer(serializers.ModelSerializer):
    unit = UnitRefSerializer(read_only=True)

    class Meta:
        model = Post
        fields = [
            "id",
            "code",
            "name",
            "unit",
            "is_front_line",
            "is_leadership",
            "difficulty_weight",
            "min_staff",
            "max_staff",
            "is_active",
        ]
        read_only_fields = fields


class PostRefSerializer(serializers.ModelSerializer):
    unit = UnitRefSerializer(read_only=True)

    class Meta:
        model = Post
        fields = ["id", "code", "name", "is_front_line", "unit"]
        read_only_fields = fields


class OfficerRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Officer
        fields = ["id", "staff_number", "name"]
        read_only_fields = fields


class CurrentPostSerializer(serializers.Serializer):
    """A post the officer holds today (from their current actual assignment)."""

    assignment = serializers.IntegerField(source="id", help_text="Assignment id.")
    post = PostRefSerializer()
    start = serializers.DateField()
    end = serializers.DateField(allow_null=True)


class OfficerSerializer(serializers.ModelSerializer):
    gender = serializers.ChoiceField(
        choices=Officer._meta.get_field("gender").choices, allow_blank=True, read_only=True
    )
    skills = serializers.ListField(child=serializers.CharField(), read_only=True)
    is_recruit = serializers.BooleanField(
        read_only=True, help_text="New recruit (新招录人员): hired within the recruit period."
    )
    current_posts = CurrentPostSerializer(source="current_assignments", many=True, read_only=True)

    class Meta:
        model = Officer
        fields = [
            "id",
            "staff_number",
            "name",
            "gender",
            "title",
            "hire_date",
            "is_recruit",
            "skills",
            "work_phone",
            "is_active",
            "current_posts",
        ]
        read_only_fields = fields


class AssignmentSerializer(serializers.ModelSerializer):
    officer = OfficerRefSerializer(read_only=True)
    post = PostRefSerializer(read_only=True)

    class Meta:
        model = Assignment
        fields = ["id", "officer", "post", "start", "end", "kind", "note"]
        read_only_fields = fields


class OfficerDetailSerializer(OfficerSerializer):
    history = AssignmentSerializer(many=True, read_only=True, help_text="Every assignment, newest first.")

    class Meta(OfficerSerializer.Meta):
        fields = [*OfficerSerializer.Meta.fields, "history"]
        read_only_fields = fields


# ---- query parameters ---------------------------------------------------------------------------------


class UnitFilterSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Unit._meta.get_field("kind").choices, required=False)


class PostFilterSerializer(serializers.Serializer):
    unit = serializers.IntegerField(required=False, min_value=1, help_text="Unit id.")
    front_line = serializers.BooleanField(required=False, help_text="Front-line (high contact) posts or not.")


class OfficerFilterSerializer(serializers.Serializer):
    unit = serializers.IntegerField(
        required=False, min_value=1, help_text="Unit id: officers serving today in the unit or below it."
    )
    recruits_only = serializers.BooleanField(required=False, help_text="Only new recruits.")
    front_line = serializers.BooleanField(
        required=False,
        help_text="Officers serving today on a front-line post (true) or another post (false).",
    )
    search = serializers.CharField(required=False, help_text="Part of the name or staff number.")


class AssignmentFilterSerializer(serializers.Serializer):
    officer = serializers.IntegerField(required=False, min_value=1, help_text="Officer id.")
    kind = serializers.ChoiceField(
        choices=AssignmentKind.choices,
        required=False,
        default=AssignmentKind.ACTUAL,
        help_text="Served (default) or planned assignments.",
    )
