"""The PE registry: a jobcoach's permanente-educatie activities, the evidence files behind them (in object
storage) and the summary of points per category against the assessment framework."""
