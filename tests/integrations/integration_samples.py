"""Code the integration tests plant: a function and its renamed copy."""

FUNC = '''def merge_sorted(left, right):
    result = []
    i = j = 0
    while i < len(left) and j < len(right):
        if left[i] <= right[j]:
            result.append(left[i])
            i += 1
        else:
            result.append(right[j])
            j += 1
    result.extend(left[i:])
    result.extend(right[j:])
    return result
'''
RENAMED = FUNC.replace("left", "xs").replace("right", "ys").replace("result", "out").replace("merge_sorted", "combine")
