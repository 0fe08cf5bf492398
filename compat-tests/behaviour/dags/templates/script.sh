echo "script for {{ ds }} with {{ params.word }}"
