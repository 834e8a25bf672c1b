"""The portfolio service: a jobcoach builds a recertification portfolio (parts A1-A4 and the reflection
meetings) per certificate period, checks what is missing, and submits an immutable snapshot to DNV."""
