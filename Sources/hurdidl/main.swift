print("hurdidl: under construction")
