// Generated/counter.hurdidl.swift is written by `swift package generate-hurdidl-sources`.
public let counterSubsystem = Counter.subsystemName
