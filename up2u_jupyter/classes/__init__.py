"""Classrooms: servers by class, teachers who help their pupils, course material, lesson bursts.

``values`` renders the stack's classes (roles, the spawn rules, placeholders); ``spawn_rules``
is the code the hub runs at each spawn; ``courselink`` is the ``course-link`` command.
"""
