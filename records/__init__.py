"""The records API: serializers, views, the Job model, tasks and SQL statement builders."""
